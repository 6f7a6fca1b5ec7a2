"""The notifier API: `uvicorn notifier.main:create_app --factory`."""

from __future__ import annotations

from datetime import timedelta

from fastapi import FastAPI

from guichet_common.runtime import (
    BackgroundTask,
    Resources,
    ServiceDefinition,
    Timer,
    create_service_app,
)
from notifier.db import Base, plumbing
from notifier.deliveries.handlers import purge_old_deliveries
from notifier.deliveries.router import router as deliveries_router
from notifier.deps import NotifierState, notifier_lifespan
from notifier.events import outbox, published
from notifier.rules.router import router as templates_router
from notifier.sending.handlers import run_sender
from notifier.settings import SERVICE, NotifierSettings
from notifier.subscriptions import build_subscriptions
from notifier.webhooks.router import router as webhooks_router


def definition(
    settings: NotifierSettings | None = None,
) -> ServiceDefinition[NotifierSettings, NotifierState]:
    settings = settings or NotifierSettings()
    return ServiceDefinition(
        name=SERVICE,
        title="Guichet notifier",
        description="Email and signed webhooks for every other service's events.",
        settings=settings,
        metadata=Base.metadata,
        tables=plumbing,
        outbox=outbox,
        published=published,
        lifespan=notifier_lifespan,
        routers=[deliveries_router, webhooks_router, templates_router],
        subscriptions=build_subscriptions(settings),
        background=[BackgroundTask("sender", run_sender)],
        timers=[Timer("purge", timedelta(hours=1), purge_old_deliveries)],
    )


def create_app(
    settings: NotifierSettings | None = None, resources: Resources | None = None
) -> FastAPI:
    return create_service_app(definition(settings), resources)
