"""Worker timers of the quote domain."""

from __future__ import annotations

from typing import cast

from garage.quotes import service
from garage.settings import GarageSettings
from guichet_common.db import unit_of_work
from guichet_common.runtime import WorkerContext


async def expire_quotes(context: WorkerContext) -> None:
    """Issued quotes past their validity expire by themselves."""
    async with unit_of_work(context.session_factory) as session:
        await service.expire_due(session, cast(GarageSettings, context.settings))
