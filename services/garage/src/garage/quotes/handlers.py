"""Worker timers of the quote domain."""

from __future__ import annotations

from garage.deps import GarageState
from garage.quotes import service
from garage.settings import GarageSettings
from guichet_common.db import unit_of_work
from guichet_common.events import utcnow
from guichet_common.runtime import WorkerContext


async def expire_quotes(context: WorkerContext[GarageSettings, GarageState]) -> None:
    """Issued quotes past their validity expire by themselves."""
    async with unit_of_work(context.session_factory) as session:
        today = utcnow().astimezone(context.settings.zone).date()
        await service.expire_due(session, context.settings, today)
