"""The imaging API: `uvicorn imaging.main:create_app --factory`."""

from __future__ import annotations

from fastapi import FastAPI

from guichet_common.runtime import Resources, ServiceDefinition, create_service_app
from imaging.db import metadata, plumbing
from imaging.events import SERVICE, outbox, published
from imaging.settings import ImagingSettings
from imaging.subscriptions import subscriptions


def definition(settings: ImagingSettings | None = None) -> ServiceDefinition:
    return ServiceDefinition(
        name=SERVICE,
        title="Guichet imaging",
        description="The PC park and imaging campaigns across schools.",
        settings=settings or ImagingSettings(),
        metadata=metadata,
        tables=plumbing,
        outbox=outbox,
        published=published,
        subscriptions=subscriptions,
    )


def create_app(
    settings: ImagingSettings | None = None, resources: Resources | None = None
) -> FastAPI:
    return create_service_app(definition(settings), resources)
