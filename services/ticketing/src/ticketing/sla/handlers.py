"""The SLA's worker side: the timer that warns and breaches (`check_clocks`), and the
consumer of imaging's site updates (queue `ticketing.sla`), which moves the deadlines of a
site's running clocks when its hours change."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from guichet_common.db import SessionFactory, unit_of_work
from guichet_common.events import Envelope, utcnow
from guichet_common.inbox import Subscription
from guichet_common.runtime import WorkerContext
from ticketing.settings import TicketingSettings
from ticketing.sla import service
from ticketing.sla.schemas import SiteUpdatedV1


async def check_clocks(context: WorkerContext[TicketingSettings, None]) -> None:
    """The timer: every clock due now is announced once."""
    await check_all_due(
        context.session_factory, utcnow(), batch_size=context.settings.sla_batch_size
    )


async def check_all_due(session_factory: SessionFactory, now: datetime, *, batch_size: int) -> int:
    """Batches, each its own transaction, until none is due at `now` (fixed for the pass,
    so it ends): a thousand due clocks take one pass. Another worker's clocks are skipped,
    not waited for. Returns how many clocks were claimed."""
    claimed = 0
    while True:
        async with unit_of_work(session_factory) as session:
            batch = await service.check_due(session, now, batch_size)
        claimed += batch
        if batch < batch_size:
            return claimed


def sla_subscription(settings: TicketingSettings) -> Subscription:
    """Its own consumer group: the park's read model may take the same event before or
    after it (events are unordered), so it reads the hours from the event itself."""
    subscription = Subscription(group="sla")

    @subscription.on(SiteUpdatedV1)
    async def on_site_updated(session: AsyncSession, payload: Any, _envelope: Envelope) -> None:
        await service.site_hours_changed(session, settings, payload)

    return subscription
