"""Worker timers of the delivery domain."""

from __future__ import annotations

from guichet_common.db import unit_of_work
from guichet_common.events import utcnow
from guichet_common.logging import get_logger
from guichet_common.runtime import WorkerContext
from notifier.deliveries import service
from notifier.deps import NotifierState
from notifier.settings import NotifierSettings

log = get_logger(__name__)


async def purge_old_deliveries(context: WorkerContext[NotifierSettings, NotifierState]) -> None:
    """Hourly: finished deliveries and stored events past the retention period go."""
    async with unit_of_work(context.session_factory) as session:
        deliveries, events = await service.purge(session, context.settings, utcnow())
    if deliveries or events:
        log.info("purged old deliveries", deliveries=deliveries, events=events)
