"""The garage API: `uvicorn garage.main:create_app --factory`."""

from __future__ import annotations

from datetime import timedelta

from fastapi import FastAPI

from garage import deps
from garage.db import metadata, plumbing
from garage.events import SERVICE, outbox, published
from garage.pages.router import PageNotFound, page_not_found
from garage.pages.router import router as pages_router
from garage.planning.router import router as planning_router
from garage.quotes.handlers import expire_quotes
from garage.quotes.router import router as quotes_router
from garage.requests.handlers import anonymise_closed_requests, check_deadlines
from garage.requests.router import router as requests_router
from garage.settings import GarageSettings
from garage.subscriptions import subscriptions
from guichet_common.runtime import Resources, ServiceDefinition, Timer, create_service_app


def install(app: FastAPI, settings: GarageSettings) -> None:
    deps.install(app, settings)
    app.add_exception_handler(PageNotFound, page_not_found)


def definition(settings: GarageSettings | None = None) -> ServiceDefinition:
    settings = settings or GarageSettings()
    return ServiceDefinition(
        name=SERVICE,
        title="Guichet garage",
        description="Public requests, quotes and workshop planning of the lycée teaching garage.",
        settings=settings,
        metadata=metadata,
        tables=plumbing,
        outbox=outbox,
        published=published,
        routers=[requests_router, quotes_router, planning_router],
        page_routers=[pages_router],
        public_prefixes=("/garage",),
        subscriptions=subscriptions,
        timers=[
            Timer("garage-deadlines", timedelta(minutes=5), check_deadlines),
            Timer("garage-quote-expiry", timedelta(hours=1), expire_quotes),
            Timer("garage-retention", timedelta(hours=1), anonymise_closed_requests),
        ],
        extra_setup=lambda app: install(app, settings),
    )


def create_app(
    settings: GarageSettings | None = None, resources: Resources | None = None
) -> FastAPI:
    return create_service_app(definition(settings), resources)
