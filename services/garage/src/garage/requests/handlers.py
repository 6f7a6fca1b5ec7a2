"""Worker timers of the request domain."""

from __future__ import annotations

from typing import cast

from garage.requests import service
from garage.settings import GarageSettings
from guichet_common.db import unit_of_work
from guichet_common.logging import get_logger
from guichet_common.runtime import WorkerContext

log = get_logger(__name__)


async def check_deadlines(context: WorkerContext) -> None:
    """Missed quote and diagnosis deadlines: flagged and published once each."""
    async with unit_of_work(context.session_factory) as session:
        await service.flag_missed_deadlines(session, cast(GarageSettings, context.settings))


async def anonymise_closed_requests(context: WorkerContext) -> None:
    """Personal data of long-closed requests erased, a batch per tick."""
    async with unit_of_work(context.session_factory) as session:
        erased = await service.anonymise_closed_requests(
            session, cast(GarageSettings, context.settings)
        )
    if erased:
        log.info("client data erased from closed requests", requests=erased)
