"""Worker timers of the request domain."""

from __future__ import annotations

from garage.deps import GarageState
from garage.requests import service
from garage.settings import GarageSettings
from guichet_common.db import unit_of_work
from guichet_common.events import utcnow
from guichet_common.runtime import WorkerContext


async def check_deadlines(context: WorkerContext[GarageSettings, GarageState]) -> None:
    """Missed quote and diagnosis deadlines: flagged and published once each."""
    async with unit_of_work(context.session_factory) as session:
        await service.flag_missed_deadlines(session, context.settings, utcnow())
