"""The garage API: `uvicorn garage.main:create_app --factory`."""

from __future__ import annotations

from datetime import timedelta

from fastapi import FastAPI

from garage.db import Base, plumbing
from garage.deps import GarageState, RateLimited, garage_lifespan, on_rate_limited
from garage.events import outbox, published
from garage.invoices.router import router as invoices_router
from garage.lifecycle.handlers import erase_closed_clients
from garage.lifecycle.router import router as lifecycle_router
from garage.pages.router import PageNotFound, page_errors, page_not_found
from garage.pages.router import router as pages_router
from garage.planning.router import router as planning_router
from garage.quotes.handlers import expire_quotes
from garage.quotes.router import router as quotes_router
from garage.requests.handlers import check_deadlines
from garage.requests.router import router as requests_router
from garage.settings import SERVICE, GarageSettings
from garage.subscriptions import subscriptions
from guichet_common.http import PROBLEM_EXCEPTIONS
from guichet_common.runtime import Resources, ServiceDefinition, Timer, create_service_app


def definition(
    settings: GarageSettings | None = None,
) -> ServiceDefinition[GarageSettings, GarageState]:
    return ServiceDefinition(
        name=SERVICE,
        title="Guichet garage",
        description="Public requests, quotes and workshop planning of the lycée teaching garage.",
        settings=settings or GarageSettings(),
        metadata=Base.metadata,
        tables=plumbing,
        outbox=outbox,
        published=published,
        lifespan=garage_lifespan,
        routers=[
            lifecycle_router,
            requests_router,
            quotes_router,
            planning_router,
            invoices_router,
        ],
        page_routers=[pages_router],
        public_prefixes=("/garage",),
        subscriptions=subscriptions,
        timers=[
            Timer("garage-deadlines", timedelta(minutes=5), check_deadlines),
            Timer("garage-quote-expiry", timedelta(hours=1), expire_quotes),
            Timer("garage-retention", timedelta(hours=1), erase_closed_clients),
        ],
        exception_handlers={
            **dict.fromkeys(PROBLEM_EXCEPTIONS, page_errors),
            RateLimited: on_rate_limited,
            PageNotFound: page_not_found,
        },
    )


def create_app(
    settings: GarageSettings | None = None, resources: Resources | None = None
) -> FastAPI:
    return create_service_app(definition(settings), resources)
