"""The worker's pass: each deadline warned at 75 % and breached at 100 % exactly once, a
moved deadline announced again, an unmoved one never; several workers at once each take
their own clocks (SKIP LOCKED); a pass goes on in batches until nothing is due."""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import AsyncIterator
from datetime import datetime

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from ticketing.sla import service as sla
from ticketing.sla.handlers import check_all_due
from ticketing.sla.models import ClockKind
from ticketing.sla.schemas import TargetIn, TargetsIn

from ..conftest import Kit
from .conftest import paris
from .support import (
    RESUME,
    act,
    assign,
    clock,
    new_technician,
    open_at,
    outbox,
    pend,
    set_priority,
    sla_events,
)

pytestmark = pytest.mark.integration

TTO, TTR = ClockKind.TTO, ClockKind.TTR
WARNED, BREACHED = "sla_warned", "sla_breached"


async def run(session: AsyncSession, now: datetime) -> None:
    """The worker's batches at `now`, in the test's transaction, until none is due."""
    while await sla.check_due(session, now, 100) == 100:
        pass


async def test_warned_then_breached_once_each(kit: Kit, db_session: AsyncSession) -> None:
    # P6 (TTO 30, TTR 240) opened Monday 9 March 2026 08:00: TTO warns at 08:22:30 and
    # breaches at 08:30; TTR warns at 11:00 and breaches at 12:00.
    ticket = await open_at(
        db_session, kit.settings, await kit.site(), paris(2026, 3, 9, 8), priority=6
    )
    subject = ticket.reference
    for now in (paris(2026, 3, 9, 8, 10), paris(2026, 3, 9, 8, 10)):
        await run(db_session, now)
    assert await sla_events(db_session, subject) == []
    for now in (paris(2026, 3, 9, 8, 25), paris(2026, 3, 9, 8, 25)):
        await run(db_session, now)
    assert await sla_events(db_session, subject) == [(WARNED, "tto")]
    for now in (paris(2026, 3, 9, 8, 30), paris(2026, 3, 9, 8, 30), paris(2026, 3, 9, 9)):
        await run(db_session, now)
    assert await sla_events(db_session, subject) == [(WARNED, "tto"), (BREACHED, "tto")]
    tto = await clock(db_session, ticket, TTO)
    assert tto.warned_deadline == tto.breached_deadline == paris(2026, 3, 9, 8, 30)
    assert tto.next_check_at is None
    # Both of TTR's thresholds passed unseen (the worker was away): the breach alone.
    for now in (paris(2026, 3, 9, 13), paris(2026, 3, 9, 13)):
        await run(db_session, now)
    assert await sla_events(db_session, subject) == [
        (WARNED, "tto"),
        (BREACHED, "tto"),
        (BREACHED, "ttr"),
    ]


async def test_the_events_say_which_clock_and_how_late(kit: Kit, db_session: AsyncSession) -> None:
    login = await new_technician(kit)
    ticket = await open_at(
        db_session, kit.settings, await kit.site(), paris(2026, 3, 9, 8), priority=6
    )
    ticket = await act(db_session, kit.settings, ticket, assign(login), paris(2026, 3, 9, 8, 5))
    await run(db_session, paris(2026, 3, 9, 11, 5))
    await run(db_session, paris(2026, 3, 9, 12))
    warned, breached = [
        e for e in await outbox(db_session, ticket.reference) if ".sla_" in e["type"]
    ]
    assert warned["type"] == "ticketing.ticket.sla_warned.v1"
    assert breached["type"] == "ticketing.ticket.sla_breached.v1"
    for envelope in (warned, breached):
        data = envelope["data"]
        assert (data["clock"], data["clock_label"]) == ("ttr", "Délai de résolution")
        assert data["target_minutes"] == 240
        assert datetime.fromisoformat(data["deadline"]) == paris(2026, 3, 9, 12)
        assert (data["actor"], data["reference"]) == ("guichet-sla", ticket.reference)
        # The ticket as it is, for the e-mails: its assignee included.
        assert data["assignee"] == login and data["assignee_email"] == f"{login}@loiret.fr"
        assert data["priority_label"] == "Majeure"
    assert (warned["data"]["elapsed_minutes"], breached["data"]["elapsed_minutes"]) == (180, 240)


async def test_a_moved_deadline_is_announced_again_an_unmoved_one_never(
    kit: Kit, db_session: AsyncSession
) -> None:
    # P3 opened Monday 9 March 2026 08:00, assigned at 08:30: TTR (1,440) warns on
    # Wednesday 11 10:00 for its deadline of Thursday 12 12:00.
    login = await new_technician(kit)
    ticket = await open_at(db_session, kit.settings, await kit.site(), paris(2026, 3, 9, 8))
    ticket = await act(db_session, kit.settings, ticket, assign(login), paris(2026, 3, 9, 8, 30))
    await run(db_session, paris(2026, 3, 11, 10))
    assert await sla_events(db_session, ticket.reference) == [(WARNED, "ttr")]

    # P2 and P3 given the same targets: the change of priority does not move the deadline,
    # so nothing is said again, whenever the worker looks.
    await sla.replace_targets(db_session, same_targets_for_2_and_3(), if_match="*", actor="t")
    ticket = await set_priority(db_session, kit.settings, ticket, 2, paris(2026, 3, 11, 10, 30))
    ttr = await clock(db_session, ticket, TTR)
    assert (ttr.priority, ttr.deadline) == (2, paris(2026, 3, 12, 12))
    await run(db_session, paris(2026, 3, 11, 11))
    assert await sla_events(db_session, ticket.reference) == [(WARNED, "ttr")]

    # P1 (TTR 4,800): the deadline moves. A week counts 2,160 minutes: 4,320 by Friday 20
    # March, Monday 23's 480 more: Monday 23 March 17:30. Its warning (3,600): 2,160 + Mon
    # 16 480 + Tue 480 + Wed 240 + Thu 08:00-12:00 240: Thursday 19 March 12:00. The worker
    # warns once more then, and once only.
    ticket = await set_priority(db_session, kit.settings, ticket, 1, paris(2026, 3, 11, 11))
    ttr = await clock(db_session, ticket, TTR)
    assert (ttr.deadline, ttr.warn_at) == (paris(2026, 3, 23, 17, 30), paris(2026, 3, 19, 12))
    assert ttr.next_check_at == ttr.warn_at
    for _ in range(2):
        await run(db_session, paris(2026, 3, 19, 12))
    assert await sla_events(db_session, ticket.reference) == [(WARNED, "ttr"), (WARNED, "ttr")]

    # Back to P3: the first deadline again, a move from the last one announced, and long
    # past: the breach, once.
    ticket = await set_priority(db_session, kit.settings, ticket, 3, paris(2026, 3, 19, 12))
    ttr = await clock(db_session, ticket, TTR)
    assert ttr.deadline == paris(2026, 3, 12, 12)
    for _ in range(2):
        await run(db_session, paris(2026, 3, 19, 12))
    assert await sla_events(db_session, ticket.reference) == [
        (WARNED, "ttr"),
        (WARNED, "ttr"),
        (BREACHED, "ttr"),
    ]


def same_targets_for_2_and_3() -> TargetsIn:
    minutes = {6: (30, 240), 5: (60, 480), 4: (120, 960), 3: (240, 1440), 2: (240, 1440)}
    minutes[1] = (960, 4800)
    return TargetsIn(
        targets=[
            TargetIn(priority=priority, tto_minutes=tto, ttr_minutes=ttr)
            for priority, (tto, ttr) in minutes.items()
        ]
    )


async def test_a_pause_moves_the_deadline_so_it_may_warn_again(
    kit: Kit, db_session: AsyncSession
) -> None:
    # P6 TTR (240) opened Monday 9 March 2026 08:00, assigned at once: warned at 11:00 for
    # 12:00. Pending from 11:30 (210 spent) to Tuesday 08:00: 30 minutes left, a new
    # deadline (Tuesday 08:30) already past its 75 %: warned again at once, then breached.
    login = await new_technician(kit)
    ticket = await open_at(
        db_session, kit.settings, await kit.site(), paris(2026, 3, 9, 8), priority=6
    )
    ticket = await act(db_session, kit.settings, ticket, assign(login), paris(2026, 3, 9, 8))
    await run(db_session, paris(2026, 3, 9, 11))
    ticket = await act(db_session, kit.settings, ticket, pend(), paris(2026, 3, 9, 11, 30))
    await run(db_session, paris(2026, 3, 9, 13))
    assert await sla_events(db_session, ticket.reference) == [(WARNED, "ttr")]
    ticket = await act(db_session, kit.settings, ticket, RESUME, paris(2026, 3, 10, 8))
    assert (await clock(db_session, ticket, TTR)).deadline == paris(2026, 3, 10, 8, 30)
    await run(db_session, paris(2026, 3, 10, 8))
    await run(db_session, paris(2026, 3, 10, 8, 30))
    await run(db_session, paris(2026, 3, 10, 8, 30))
    assert await sla_events(db_session, ticket.reference) == [
        (WARNED, "ttr"),
        (WARNED, "ttr"),
        (BREACHED, "ttr"),
    ]


# --- several workers, many clocks (committed: each worker has its own connection) ----------


@pytest.fixture
async def committed_tickets(kit: Kit) -> AsyncIterator[list[str]]:
    """30 P6 tickets opened (and committed) on Monday 2 March 2026 08:00, each with its
    TTO due for a warning from 08:22:30; deleted afterwards, clocks and all."""
    sessions = async_sessionmaker(kit.engine, expire_on_commit=False)
    site = await kit.site()
    async with sessions() as session, session.begin():
        tickets = [
            await open_at(session, kit.settings, site, paris(2026, 3, 2, 8), priority=6)
            for _ in range(30)
        ]
    references = [ticket.reference for ticket in tickets]
    try:
        yield references
    finally:
        async with kit.engine.begin() as conn:
            await conn.execute(
                text("DELETE FROM ticketing.ticket WHERE reference = ANY(:r)"), {"r": references}
            )


async def test_two_workers_at_once_announce_each_deadline_once(
    kit: Kit, committed_tickets: list[str]
) -> None:
    factory = async_sessionmaker(kit.engine, expire_on_commit=False)
    now = paris(2026, 3, 2, 8, 25)
    # Small batches, so that the two passes interleave and each loops several times.
    claimed = await asyncio.gather(
        check_all_due(factory, now, batch_size=4), check_all_due(factory, now, batch_size=4)
    )
    assert sum(claimed) >= 30
    warnings = Counter[str]()
    for reference in committed_tickets:
        types = await kit.event_types(reference)
        warnings[reference] = types.count("ticketing.ticket.sla_warned.v1")
        assert "ticketing.ticket.sla_breached.v1" not in types
    assert set(warnings.values()) == {1}
    # Again at the same instant: nothing more to say.
    await asyncio.gather(
        check_all_due(factory, now, batch_size=4), check_all_due(factory, now, batch_size=4)
    )
    for reference in committed_tickets:
        assert (await kit.event_types(reference)).count("ticketing.ticket.sla_warned.v1") == 1


async def test_a_worker_skips_the_clocks_another_holds(
    kit: Kit, committed_tickets: list[str]
) -> None:
    now = paris(2026, 3, 2, 8, 25)
    first, second = AsyncSession(kit.engine), AsyncSession(kit.engine)
    try:
        assert await sla.check_due(first, now, 10) == 10
        # The ten the first holds (uncommitted) are skipped, not waited for.
        assert await sla.check_due(second, now, 100) >= 20
        seen = {
            reference: len(await sla_events(first, reference))
            + len(await sla_events(second, reference))
            for reference in committed_tickets
        }
        assert set(seen.values()) == {1}
    finally:
        for session in (first, second):
            await session.rollback()
            await session.close()


async def test_a_pass_takes_batch_after_batch_until_none_is_due(
    kit: Kit, committed_tickets: list[str]
) -> None:
    factory = async_sessionmaker(kit.engine, expire_on_commit=False)
    now = paris(2026, 3, 2, 8, 25)
    assert await check_all_due(factory, now, batch_size=7) >= 30
    for reference in committed_tickets:
        assert (await kit.event_types(reference)).count("ticketing.ticket.sla_warned.v1") == 1
    assert await check_all_due(factory, now, batch_size=7) == 0


async def test_the_worker_is_driven_by_a_partial_index(kit: Kit) -> None:
    definition = await kit.scalar(
        "SELECT indexdef FROM pg_indexes WHERE schemaname = 'ticketing'"
        " AND indexname = 'ix_sla_clock_next_check'"
    )
    assert "(next_check_at)" in definition
    assert "WHERE (next_check_at IS NOT NULL)" in definition
