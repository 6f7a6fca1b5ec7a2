"""The imaging API: `uvicorn imaging.main:create_app --factory`."""

from __future__ import annotations

from fastapi import FastAPI

from guichet_common.runtime import Resources, ServiceDefinition, create_service_app, no_state
from imaging.db import Base, plumbing
from imaging.events import outbox, published
from imaging.settings import SERVICE, ImagingSettings
from imaging.subscriptions import subscriptions


def definition(
    settings: ImagingSettings | None = None,
) -> ServiceDefinition[ImagingSettings, None]:
    return ServiceDefinition(
        name=SERVICE,
        title="Guichet imaging",
        description="The PC park and imaging campaigns across schools.",
        settings=settings or ImagingSettings(),
        metadata=Base.metadata,
        tables=plumbing,
        outbox=outbox,
        published=published,
        lifespan=no_state,
        subscriptions=subscriptions,
    )


def create_app(
    settings: ImagingSettings | None = None, resources: Resources | None = None
) -> FastAPI:
    return create_service_app(definition(settings), resources)
