"""The consumer: every event of interest becomes deliveries, in the inbox transaction."""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from guichet_common.events import Envelope, utcnow
from guichet_common.inbox import Handler
from notifier.rules import service
from notifier.settings import NotifierSettings


def event_handler(settings: NotifierSettings) -> Handler:
    """Handles any event type: rules and webhook subscriptions decide what it becomes."""

    async def on_event(session: AsyncSession, _payload: Any, envelope: Envelope) -> None:
        await service.ingest_event(session, envelope, settings, utcnow())

    return on_event
