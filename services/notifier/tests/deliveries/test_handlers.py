from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select, update

from guichet_common.db import SessionFactory, unit_of_work
from guichet_common.runtime import WorkerContext
from notifier.deliveries.handlers import purge_old_deliveries
from notifier.deliveries.models import Delivery, DeliveryAttempt, DeliveryState, StoredEvent
from notifier.deps import notifier_lifespan
from notifier.rules.service import SAMPLES
from notifier.settings import NotifierSettings

from ..conftest import FakeClock, MakeSender, SmtpServer, envelope, ingest

pytestmark = pytest.mark.integration

# One mail, to the client, nothing to fetch: the purge is what is tested.
SCHEDULED = "garage.request.scheduled.v1"


async def test_purge_keeps_what_is_recent_or_unfinished(
    session_factory: SessionFactory,
    settings: NotifierSettings,
    smtp_server: SmtpServer,
    sender_factory: MakeSender,
    clock: FakeClock,
) -> None:
    real_now = clock.now
    clock.now = real_now - timedelta(days=settings.retention_days + 1)
    sender = sender_factory(smtp_server.url)
    then = {"time": clock.now}
    old_sent = envelope(SCHEDULED, SAMPLES[SCHEDULED], subject="DEM-2026-0001").model_copy(
        update=then
    )
    old_stuck = envelope(SCHEDULED, SAMPLES[SCHEDULED], subject="DEM-2026-0002").model_copy(
        update=then
    )
    await ingest(session_factory, settings, old_sent)
    await sender.run_once()
    smtp_server.handler.reply_to_data = "451 4.3.0 later"
    await ingest(session_factory, settings, old_stuck)
    await sender.run_once()
    smtp_server.handler.reply_to_data = None
    clock.now = real_now
    recent = envelope(SCHEDULED, SAMPLES[SCHEDULED], subject="DEM-2026-0003")
    await ingest(session_factory, settings, recent)
    await sender.run_once()  # sends the recent one and, now due, the stuck one

    async with unit_of_work(session_factory) as session:
        # make the stuck one look unfinished and old again
        await session.execute(
            update(Delivery)
            .where(Delivery.subject == "DEM-2026-0002")
            .values(state=DeliveryState.RETRYING, updated_at=real_now - timedelta(days=400))
        )
    async with notifier_lifespan(settings) as state:
        await purge_old_deliveries(WorkerContext(settings, session_factory, state))

    async with session_factory() as session:
        subjects = set(await session.scalars(select(Delivery.subject)))
        events = set(await session.scalars(select(StoredEvent.id)))
        attempts = list(await session.scalars(select(DeliveryAttempt.delivery_id)))
    assert subjects == {"DEM-2026-0002", "DEM-2026-0003"}
    assert events == {old_stuck.id, recent.id}
    assert len(attempts) == 3  # stuck: 451 then 250; recent: 250
