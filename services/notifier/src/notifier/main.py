"""The notifier API: `uvicorn notifier.main:create_app --factory`."""

from __future__ import annotations

from fastapi import FastAPI

from guichet_common.runtime import Resources, ServiceDefinition, create_service_app
from notifier.db import metadata, plumbing
from notifier.events import SERVICE, outbox, published
from notifier.settings import NotifierSettings
from notifier.subscriptions import subscriptions


def definition(settings: NotifierSettings | None = None) -> ServiceDefinition:
    return ServiceDefinition(
        name=SERVICE,
        title="Guichet notifier",
        description="Email and signed webhooks for every other service's events.",
        settings=settings or NotifierSettings(),
        metadata=metadata,
        tables=plumbing,
        outbox=outbox,
        published=published,
        subscriptions=subscriptions,
    )


def create_app(
    settings: NotifierSettings | None = None, resources: Resources | None = None
) -> FastAPI:
    return create_service_app(definition(settings), resources)
