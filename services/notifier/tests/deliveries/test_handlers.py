from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import select

from guichet_common.db import SessionFactory, unit_of_work
from guichet_common.runtime import WorkerContext
from notifier.deliveries import service as deliveries_service
from notifier.deliveries.handlers import purge_old_deliveries
from notifier.deliveries.models import delivery, delivery_attempt, stored_event
from notifier.rules.catalogue import SAMPLES
from notifier.settings import NotifierSettings

from ..conftest import FakeClock, SmtpServer, envelope

pytestmark = pytest.mark.integration

READY = "garage.request.ready_for_pickup.v1"


async def test_purge_keeps_what_is_recent_or_unfinished(
    session_factory: SessionFactory,
    settings: NotifierSettings,
    smtp_server: SmtpServer,
    sender_factory: Any,
    clock: FakeClock,
) -> None:
    real_now = clock.now
    clock.now = real_now - timedelta(days=settings.retention_days + 1)
    sender = sender_factory(smtp_server.url)
    then = {"time": clock.now}
    old_sent = envelope(READY, SAMPLES[READY], subject="DEM-2026-0001").model_copy(update=then)
    old_stuck = envelope(READY, SAMPLES[READY], subject="DEM-2026-0002").model_copy(update=then)
    async with unit_of_work(session_factory) as session:
        await deliveries_service.ingest_event(session, old_sent, settings, clock.now)
    await sender.run_once()
    smtp_server.handler.reply_to_data = "451 4.3.0 later"
    async with unit_of_work(session_factory) as session:
        await deliveries_service.ingest_event(session, old_stuck, settings, clock.now)
    await sender.run_once()
    smtp_server.handler.reply_to_data = None
    clock.now = real_now
    recent = envelope(READY, SAMPLES[READY], subject="DEM-2026-0003")
    async with unit_of_work(session_factory) as session:
        await deliveries_service.ingest_event(session, recent, settings, clock.now)
    await sender.run_once()  # sends the recent one and, now due, the stuck one

    async with unit_of_work(session_factory) as session:
        # make the stuck one look unfinished and old again
        await session.execute(
            delivery.update()
            .where(delivery.c.subject == "DEM-2026-0002")
            .values(state="retrying", updated_at=real_now - timedelta(days=400))
        )
    await purge_old_deliveries(WorkerContext(settings, session_factory))

    async with session_factory() as session:
        subjects = set((await session.execute(select(delivery.c.subject))).scalars())
        events = set((await session.execute(select(stored_event.c.id))).scalars())
        attempts = (await session.execute(select(delivery_attempt.c.delivery_id))).all()
    assert subjects == {"DEM-2026-0002", "DEM-2026-0003"}
    assert events == {old_stuck.id, recent.id}
    assert len(attempts) == 3  # stuck: 451 then 250; recent: 250
