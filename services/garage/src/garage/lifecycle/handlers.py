"""Worker timers of the lifecycle."""

from __future__ import annotations

from garage.deps import GarageState
from garage.lifecycle import service
from garage.settings import GarageSettings
from guichet_common.db import unit_of_work
from guichet_common.events import utcnow
from guichet_common.logging import get_logger
from guichet_common.runtime import WorkerContext

log = get_logger(__name__)


async def erase_closed_clients(context: WorkerContext[GarageSettings, GarageState]) -> None:
    """Personal data of long-closed requests erased, a batch per tick."""
    async with unit_of_work(context.session_factory) as session:
        erased = await service.erase_closed_clients(session, context.settings, utcnow())
    if erased:
        log.info("client data erased from closed requests", requests=erased)
