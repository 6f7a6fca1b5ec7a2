"""The consumer side: every event of interest becomes deliveries, in the inbox transaction."""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from guichet_common.db import unit_of_work
from guichet_common.events import Envelope, utcnow
from guichet_common.inbox import Handler
from guichet_common.logging import get_logger
from guichet_common.runtime import WorkerContext
from notifier.deliveries import service
from notifier.settings import NotifierSettings

log = get_logger(__name__)


def event_handler(settings: NotifierSettings) -> Handler:
    """Handles any event type: rules and webhook subscriptions decide what it becomes."""

    async def on_event(session: AsyncSession, _payload: Any, envelope: Envelope) -> None:
        await service.ingest_event(session, envelope, settings, utcnow())

    return on_event


async def purge_old_deliveries(context: WorkerContext) -> None:
    """The worker's hourly timer."""
    settings = context.settings
    if not isinstance(settings, NotifierSettings):
        settings = NotifierSettings.model_validate(settings.model_dump())
    async with unit_of_work(context.session_factory) as session:
        deliveries, events = await service.purge(session, settings, utcnow())
    if deliveries or events:
        log.info("purged old deliveries", deliveries=deliveries, events=events)
