"""The garage API: `uvicorn garage.main:create_app --factory`."""

from __future__ import annotations

from fastapi import FastAPI

from garage.db import metadata, plumbing
from garage.events import SERVICE, outbox, published
from garage.settings import GarageSettings
from garage.subscriptions import subscriptions
from guichet_common.runtime import Resources, ServiceDefinition, create_service_app


def definition(settings: GarageSettings | None = None) -> ServiceDefinition:
    return ServiceDefinition(
        name=SERVICE,
        title="Guichet garage",
        description="Public requests, quotes and workshop planning of the lycée teaching garage.",
        settings=settings or GarageSettings(),
        metadata=metadata,
        tables=plumbing,
        outbox=outbox,
        published=published,
        subscriptions=subscriptions,
    )


def create_app(
    settings: GarageSettings | None = None, resources: Resources | None = None
) -> FastAPI:
    return create_service_app(definition(settings), resources)
