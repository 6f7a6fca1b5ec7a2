"""The in-process bus of `guichet up` after a crash: events relayed during the crashed run
go out again; the inbox keeps what was already handled from happening twice."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import update

from guichet.allinone import InProcessBusState
from guichet_common.db import schema_metadata
from guichet_common.events import EventRegistry, utcnow
from guichet_common.inbox import InboxHandler, Subscription, claim
from guichet_common.messaging.bus import RetryPolicy
from guichet_common.messaging.inprocess import InProcessBus
from guichet_common.outbox import OutboxRelay
from guichet_common.runtime import Resources, ServiceDefinition, no_state
from guichet_common.settings import CommonSettings
from guichet_common.testing.bus import BusSchema, ThingHappenedV1, wait_for

pytestmark = pytest.mark.integration


async def test_restart_after_a_crash_resends_what_the_bus_lost(
    bus_schema: BusSchema, tmp_path: Path
) -> None:
    crashed_run_started = utcnow() - timedelta(minutes=5)
    state = InProcessBusState(tmp_path)
    state.directory.mkdir()
    state.state.write_text(
        json.dumps({"clean": False, "started_at": crashed_run_started.isoformat()})
    )
    before, handled, lost = [await bus_schema.publish_committed(1, start=n) for n in (0, 1, 2)]
    outbox = bus_schema.tables.outbox
    async with bus_schema.session_factory() as session, session.begin():
        await session.execute(
            update(outbox)
            .where(outbox.c.id == before[0].id)
            .values(published_at=crashed_run_started - timedelta(hours=1))
        )
        await session.execute(
            update(outbox)
            .where(outbox.c.id != before[0].id)
            .values(published_at=crashed_run_started + timedelta(minutes=1))
        )
        # The crashed run had handled one of its events before dying.
        assert await claim(session, bus_schema.tables, "testsvc.events", [handled[0]])

    definition = ServiceDefinition(
        name="testsvc",
        title="t",
        description="t",
        settings=CommonSettings(),
        metadata=schema_metadata(bus_schema.tables.schema),
        tables=bus_schema.tables,
        outbox=bus_schema.outbox,
        published=EventRegistry(),
        lifespan=no_state,
    )
    resources = {"testsvc": Resources(bus_schema.engine, bus_schema.session_factory)}
    pending = await state.begin(resources, {"testsvc": definition})
    assert pending == []
    assert json.loads(state.state.read_text())["clean"] is False

    subscription = Subscription("events")

    @subscription.on(ThingHappenedV1)
    async def record(session, _event, envelope):  # type: ignore[no-untyped-def]
        await bus_schema.record_effect(session, envelope, "events")

    bus = InProcessBus()
    spec = subscription.queue_spec("testsvc")
    await bus.consume(
        spec,
        InboxHandler(spec.name, subscription, bus_schema.session_factory, bus_schema.tables),
        RetryPolicy((0.1,)),
    )
    assert await OutboxRelay(bus_schema.engine, bus_schema.tables, bus).drain() == 2

    async def lost_one_handled() -> bool:
        return await bus_schema.effects() == {lost[0].id: 1}

    await wait_for(lost_one_handled)
    state.end(await bus.shutdown())
    assert json.loads(state.state.read_text())["clean"] is True
    assert state.pending.read_text() == ""
