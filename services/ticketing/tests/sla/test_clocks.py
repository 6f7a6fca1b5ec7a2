"""The clocks' arithmetic, worked out by hand in business minutes, through the real service
functions at chosen instants (`now=`): see `support.py` for the collège's hours and the
default targets. School holidays are those shipped (zone B's winter holidays 2026: 14
February to 1 March; zone A's 7 to 22 February; zone C's 21 February to 8 March)."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from ticketing.settings import TicketingSettings
from ticketing.sla.business_time import OPEN, WEEK_END
from ticketing.sla.models import ClockEnd, ClockKind
from ticketing.tickets import service as tickets

from ..conftest import Kit
from .conftest import paris
from .support import (
    CANCEL,
    REOPEN,
    RESUME,
    SOLVE,
    TECHNICIAN,
    act,
    assign,
    clock,
    explained,
    intake,
    new_technician,
    open_at,
    pend,
    set_priority,
    spans,
    the_clock,
)

pytestmark = pytest.mark.integration

TTO, TTR = ClockKind.TTO, ClockKind.TTR


async def test_a_new_ticket_has_both_clocks_running_on_its_prioritys_targets(
    kit: Kit, db_session: AsyncSession
) -> None:
    # P3: TTO 240, TTR 1,440. Monday 9 March 2026 08:00.
    ticket = await open_at(db_session, kit.settings, await kit.site(), paris(2026, 3, 9, 8))
    tto, ttr = await clock(db_session, ticket, TTO), await clock(db_session, ticket, TTR)
    assert (tto.target_minutes, ttr.target_minutes) == (240, 1440)
    assert tto.running_since == ttr.running_since == paris(2026, 3, 9, 8)
    # TTO: Monday 08:00-12:00 = 240; warned at 180 (11:00).
    assert (tto.deadline, tto.warn_at) == (paris(2026, 3, 9, 12), paris(2026, 3, 9, 11))
    assert tto.next_check_at == tto.warn_at
    # TTR: Mon 480 + Tue 480 + Wed 240 = 1,200, Thu 08:00-12:00 = 240: Thursday 12:00.
    # Warned at 1,080: Mon + Tue = 960, Wed 08:00-10:00 = 120: Wednesday 10:00.
    assert (ttr.deadline, ttr.warn_at) == (paris(2026, 3, 12, 12), paris(2026, 3, 11, 10))


async def test_the_week_end_is_not_counted(kit: Kit, db_session: AsyncSession) -> None:
    # Friday 13 March 2026 15:00, P3 (TTO 240): Friday 15:00-17:30 = 150, Monday
    # 08:00-09:30 = 90: Monday 16 March 09:30; warned at 180: Monday 08:30.
    ticket = await open_at(db_session, kit.settings, await kit.site(), paris(2026, 3, 13, 15))
    tto = await clock(db_session, ticket, TTO)
    assert (tto.deadline, tto.warn_at) == (paris(2026, 3, 16, 9, 30), paris(2026, 3, 16, 8, 30))
    explanation = await explained(db_session, kit.settings, ticket, paris(2026, 3, 16, 9))
    found = the_clock(explanation, TTO)
    assert (found.status, found.elapsed_minutes, found.remaining_minutes) == ("running", 210, 30)
    assert (paris(2026, 3, 14), paris(2026, 3, 16), False, WEEK_END) in spans(found)


async def test_easter_monday_is_not_counted(kit: Kit, db_session: AsyncSession) -> None:
    # Friday 3 April 2026 16:00 (zone B in term time), P3: Friday 16:00-17:30 = 90, Easter
    # Monday 6 April closed, Tuesday 08:00-10:30 = 150: Tuesday 7 April 10:30.
    ticket = await open_at(db_session, kit.settings, await kit.site(), paris(2026, 4, 3, 16))
    assert (await clock(db_session, ticket, TTO)).deadline == paris(2026, 4, 7, 10, 30)
    explanation = await explained(db_session, kit.settings, ticket, paris(2026, 4, 7, 9))
    assert (paris(2026, 4, 6), paris(2026, 4, 7), False, "jour férié (Lundi de Pâques)") in spans(
        the_clock(explanation, TTO)
    )


async def test_good_friday_closes_a_moselle_school_only(kit: Kit, db_session: AsyncSession) -> None:
    # The same instant in Metz (57): Vendredi saint is a public holiday there, so Friday
    # counts nothing; Tuesday 08:00-12:00 = 240: Tuesday 7 April 12:00.
    moselle = await kit.site(department="57")
    ticket = await open_at(db_session, kit.settings, moselle, paris(2026, 4, 3, 16))
    assert (await clock(db_session, ticket, TTO)).deadline == paris(2026, 4, 7, 12)


def holidays_until_autumn_2025(tmp_path: Path) -> Path:
    """School holidays known until the Toussaint 2025 (zone B: 18 October - 2 November):
    past it, school days are working days, Christmas included."""
    path = tmp_path / "vacances.csv"
    days = [
        f"2025-{month:02d}-{day:02d},True,True,True,Vacances de la Toussaint\n"
        for month, day in [(10, d) for d in range(18, 32)] + [(11, 1), (11, 2)]
    ]
    path.write_text(
        "date,vacances_zone_a,vacances_zone_b,vacances_zone_c,nom_vacances\n" + "".join(days)
    )
    return path


async def test_26_december_is_a_holiday_in_a_moselle_school_only(
    kit: Kit, db_session: AsyncSession, tmp_path: Path
) -> None:
    # With school holidays known until November 2025 only, Christmas week counts as school
    # days. Wednesday 24 December 2025 11:00, P3 (TTO 240): Wednesday 11:00-12:00 = 60,
    # Thursday 25 (Noël) closed everywhere. Loiret: Friday 26 08:00-11:00 = 180, deadline
    # Friday 26 December 11:00. Moselle: Saint-Étienne, closed; Monday 29 08:00-11:00.
    settings = kit.settings.model_copy(
        update={"school_holidays_file": holidays_until_autumn_2025(tmp_path)}
    )
    start = paris(2025, 12, 24, 11)
    loiret = await open_at(db_session, settings, await kit.site(), start)
    moselle = await open_at(db_session, settings, await kit.site(department="57"), start)
    assert (await clock(db_session, loiret, TTO)).deadline == paris(2025, 12, 26, 11)
    assert (await clock(db_session, moselle, TTO)).deadline == paris(2025, 12, 29, 11)
    explanation = await explained(db_session, settings, moselle, paris(2025, 12, 29, 9))
    found = the_clock(explanation, TTO)
    assert (paris(2025, 12, 26), paris(2025, 12, 27), False, "jour férié (Saint-Étienne)") in (
        spans(found)
    )
    assert found.elapsed_minutes == 60 + 60
    # Past the school holidays known: said, in French, with the date.
    assert explanation.school_calendar_ends.isoformat() == "2025-11-02"
    assert explanation.school_calendar_note is not None
    assert "02/11/2025" in explanation.school_calendar_note
    assert "jours ouvrés" in explanation.school_calendar_note


async def test_a_zone_b_school_holiday_is_not_counted(kit: Kit, db_session: AsyncSession) -> None:
    # Friday 13 February 2026 16:00, P3 (TTO 240), the same instant in each zone:
    # - zone B (holidays 14 February - 1 March): Friday 16:00-17:30 = 90, then Monday
    #   2 March 08:00-10:30 = 150: 2 March 10:30;
    # - zone A (holidays 7 - 22 February, already on holiday): Monday 23 February 08:00-12:00;
    # - zone C (holidays 21 February - 8 March): Friday 90, Monday 16 February 10:30.
    start = paris(2026, 2, 13, 16)
    deadlines = {}
    for zone in "ABC":
        ticket = await open_at(db_session, kit.settings, await kit.site(zone=zone), start)
        deadlines[zone] = (await clock(db_session, ticket, TTO)).deadline
    assert deadlines == {
        "A": paris(2026, 2, 23, 12),
        "B": paris(2026, 3, 2, 10, 30),
        "C": paris(2026, 2, 16, 10, 30),
    }


async def test_the_lunch_break_is_not_counted(kit: Kit, db_session: AsyncSession) -> None:
    # Tuesday 17 March 2026 11:30, P5 (TTO 60): 11:30-12:00 = 30, 13:30-14:00 = 30:
    # deadline 14:00; warned at 45 minutes: 13:45.
    site = await kit.site()
    ticket = await open_at(db_session, kit.settings, site, paris(2026, 3, 17, 11, 30), priority=5)
    tto = await clock(db_session, ticket, TTO)
    assert (tto.deadline, tto.warn_at) == (paris(2026, 3, 17, 14), paris(2026, 3, 17, 13, 45))


async def test_time_to_own_ends_at_the_first_assignment(kit: Kit, db_session: AsyncSession) -> None:
    login = await new_technician(kit)
    ticket = await open_at(db_session, kit.settings, await kit.site(), paris(2026, 3, 9, 8))
    ticket = await act(db_session, kit.settings, ticket, assign(login), paris(2026, 3, 9, 9, 15))
    tto, ttr = await clock(db_session, ticket, TTO), await clock(db_session, ticket, TTR)
    assert (tto.stopped_at, tto.ended_by, tto.elapsed_seconds) == (
        paris(2026, 3, 9, 9, 15),
        ClockEnd.ASSIGNED,
        75 * 60,
    )
    assert tto.next_check_at is None and tto.deadline is None
    assert ttr.running_since == paris(2026, 3, 9, 8)  # untouched
    found = the_clock(await explained(db_session, kit.settings, ticket, paris(2026, 3, 10, 8)), TTO)
    assert (found.status, found.elapsed_minutes, found.remaining_minutes) == ("met", 75, 165)
    # A reassignment changes nothing of an ended clock.
    other = await new_technician(kit)
    ticket = await act(db_session, kit.settings, ticket, assign(other), paris(2026, 3, 10, 9))
    assert (await clock(db_session, ticket, TTO)).stopped_at == paris(2026, 3, 9, 9, 15)


async def test_time_to_resolve_is_paused_while_pending(kit: Kit, db_session: AsyncSession) -> None:
    # P3 opened Monday 9 March 2026 08:00, assigned at 09:00, pending (supplier) from
    # 10:00 to Thursday 12 March 08:00: 120 minutes spent, 1,320 left from Thursday 08:00:
    # Thu 480, Fri 480 (360 left), Monday 16 08:00-12:00 240, 13:30-15:30: Monday 15:30.
    # Warned at 1,080 (960 left at the resumption): Thursday + Friday: Friday 17:30.
    login = await new_technician(kit)
    ticket = await open_at(db_session, kit.settings, await kit.site(), paris(2026, 3, 9, 8))
    ticket = await act(db_session, kit.settings, ticket, assign(login), paris(2026, 3, 9, 9))
    ticket = await act(db_session, kit.settings, ticket, pend(), paris(2026, 3, 9, 10))
    ttr = await clock(db_session, ticket, TTR)
    assert (ttr.running_since, ttr.deadline, ttr.next_check_at) == (None, None, None)
    assert ttr.elapsed_seconds == 120 * 60
    paused = the_clock(
        await explained(db_session, kit.settings, ticket, paris(2026, 3, 11, 9)), TTR
    )
    assert (paused.status, paused.running, paused.elapsed_minutes) == ("paused", False, 120)

    ticket = await act(db_session, kit.settings, ticket, RESUME, paris(2026, 3, 12, 8))
    ttr = await clock(db_session, ticket, TTR)
    assert ttr.running_since == paris(2026, 3, 12, 8)
    assert (ttr.deadline, ttr.warn_at) == (paris(2026, 3, 16, 15, 30), paris(2026, 3, 13, 17, 30))

    found = the_clock(await explained(db_session, kit.settings, ticket, paris(2026, 3, 12, 9)), TTR)
    assert spans(found) == [
        (paris(2026, 3, 9, 8), paris(2026, 3, 9, 10), True, OPEN),
        (paris(2026, 3, 9, 10), paris(2026, 3, 12, 8), False, "en attente (fournisseur)"),
        (paris(2026, 3, 12, 8), paris(2026, 3, 12, 9), True, OPEN),
    ]
    assert found.elapsed_minutes == 180
    assert sum(s.seconds for s in found.segments if s.counted) == found.elapsed_seconds


async def test_a_reopen_resumes_from_the_time_spent(kit: Kit, db_session: AsyncSession) -> None:
    # P5 (TTR 480) opened Monday 9 March 2026 08:00, solved at 11:00: 180 spent, met.
    # Reopened Tuesday 09:00: 300 left, from Tuesday 09:00: 09:00-12:00 = 180, 13:30-15:30:
    # Tuesday 15:30 (reset to zero, it would have been Wednesday 09:00).
    site = await kit.site()
    ticket = await open_at(db_session, kit.settings, site, paris(2026, 3, 9, 8), priority=5)
    ticket = await act(db_session, kit.settings, ticket, SOLVE, paris(2026, 3, 9, 11))
    ttr = await clock(db_session, ticket, TTR)
    assert (ttr.stopped_at, ttr.ended_by, ttr.elapsed_seconds) == (
        paris(2026, 3, 9, 11),
        ClockEnd.SOLVED,
        180 * 60,
    )
    solved = await explained(db_session, kit.settings, ticket, paris(2026, 3, 9, 15))
    assert the_clock(solved, TTR).status == "met"
    # Solved before anyone took it: time to own ends too, 180 minutes into its 60.
    assert the_clock(solved, TTO).status == "breached"

    ticket = await act(db_session, kit.settings, ticket, REOPEN, paris(2026, 3, 10, 9))
    ttr = await clock(db_session, ticket, TTR)
    assert (ttr.stopped_at, ttr.running_since, ttr.elapsed_seconds) == (
        None,
        paris(2026, 3, 10, 9),
        180 * 60,
    )
    assert ttr.deadline == paris(2026, 3, 10, 15, 30)
    assert (await clock(db_session, ticket, TTO)).stopped_at == paris(2026, 3, 9, 11)

    found = the_clock(
        await explained(db_session, kit.settings, ticket, paris(2026, 3, 10, 10)), TTR
    )
    assert [(s.start, s.end, s.reason) for s in found.segments if not s.counted][-1:] == [
        (paris(2026, 3, 9, 11), paris(2026, 3, 10, 9), "résolu, puis rouvert")
    ]
    assert found.elapsed_minutes == 240


async def test_a_close_or_a_cancellation_ends_the_clocks(
    kit: Kit, db_session: AsyncSession
) -> None:
    site = await kit.site()
    cancelled = await open_at(db_session, kit.settings, site, paris(2026, 3, 9, 8))
    cancelled = await act(db_session, kit.settings, cancelled, CANCEL, paris(2026, 3, 9, 9))
    for kind in (TTO, TTR):
        ended = await clock(db_session, cancelled, kind)
        assert (ended.stopped_at, ended.ended_by) == (paris(2026, 3, 9, 9), ClockEnd.CANCELLED)
        assert ended.next_check_at is None
    explanation = await explained(db_session, kit.settings, cancelled, paris(2026, 3, 10, 9))
    assert [c.status for c in explanation.clocks] == ["stopped", "stopped"]


async def test_a_priority_change_moves_the_deadline_and_keeps_the_time_spent(
    kit: Kit, db_session: AsyncSession
) -> None:
    # P3 opened Monday 9 March 2026 08:00, TTR 1,440: Thursday 12:00. At Tuesday 10:00,
    # P5 (TTR 480): 480 from Monday 08:00 is Monday 17:30, already past: due at once.
    # Then P2 (TTR 2,400): Mon 480 + Tue 480 + Wed 240 + Thu 480 + Fri 480 = 2,160, Monday
    # 16 08:00-12:00: Monday 16 March 12:00.
    login = await new_technician(kit)
    ticket = await open_at(db_session, kit.settings, await kit.site(), paris(2026, 3, 9, 8))
    ticket = await act(db_session, kit.settings, ticket, assign(login), paris(2026, 3, 9, 8, 30))
    ticket = await set_priority(db_session, kit.settings, ticket, 5, paris(2026, 3, 10, 10))
    ttr = await clock(db_session, ticket, TTR)
    assert (ttr.priority, ttr.target_minutes, ttr.elapsed_seconds) == (5, 480, 0)
    assert ttr.deadline == paris(2026, 3, 9, 17, 30)
    assert ttr.next_check_at is not None and ttr.next_check_at < paris(2026, 3, 10, 10)
    ticket = await set_priority(db_session, kit.settings, ticket, 2, paris(2026, 3, 10, 11))
    ttr = await clock(db_session, ticket, TTR)
    assert (ttr.target_minutes, ttr.deadline) == (2400, paris(2026, 3, 16, 12))
    # The ended TTO keeps its target and verdict.
    tto = await clock(db_session, ticket, TTO)
    assert (tto.priority, tto.target_minutes) == (3, 240)


async def test_a_paused_clock_takes_the_new_target_when_it_resumes(
    kit: Kit, db_session: AsyncSession
) -> None:
    # P3 opened Monday 9 March 2026 08:00, assigned 08:30, pending from 10:00 (120 spent);
    # P5 while paused (TTR 480); resumed Thursday 12 08:00: 360 left: Thursday
    # 08:00-12:00 = 240, 13:30-15:30: Thursday 15:30.
    login = await new_technician(kit)
    ticket = await open_at(db_session, kit.settings, await kit.site(), paris(2026, 3, 9, 8))
    ticket = await act(db_session, kit.settings, ticket, assign(login), paris(2026, 3, 9, 8, 30))
    ticket = await act(db_session, kit.settings, ticket, pend(), paris(2026, 3, 9, 10))
    ticket = await set_priority(db_session, kit.settings, ticket, 5, paris(2026, 3, 10, 10))
    ttr = await clock(db_session, ticket, TTR)
    assert (ttr.target_minutes, ttr.deadline) == (480, None)
    ticket = await act(db_session, kit.settings, ticket, RESUME, paris(2026, 3, 12, 8))
    assert (await clock(db_session, ticket, TTR)).deadline == paris(2026, 3, 12, 15, 30)


async def test_a_solved_ticket_reopened_after_a_priority_change_takes_the_new_target(
    kit: Kit, db_session: AsyncSession
) -> None:
    # P3 opened Monday 9 March 2026 08:00, solved at 10:00 (120 spent), set to P5 while
    # solved (the ended clock keeps 1,440), reopened Tuesday 08:00: P5's 480, 360 left:
    # Tuesday 08:00-12:00 = 240, 13:30-15:30: Tuesday 15:30.
    ticket = await open_at(db_session, kit.settings, await kit.site(), paris(2026, 3, 9, 8))
    ticket = await act(db_session, kit.settings, ticket, SOLVE, paris(2026, 3, 9, 10))
    ticket = await set_priority(db_session, kit.settings, ticket, 5, paris(2026, 3, 9, 11))
    assert (await clock(db_session, ticket, TTR)).target_minutes == 1440
    ticket = await act(db_session, kit.settings, ticket, REOPEN, paris(2026, 3, 10, 8))
    ttr = await clock(db_session, ticket, TTR)
    assert (ttr.target_minutes, ttr.deadline) == (480, paris(2026, 3, 10, 15, 30))


async def test_a_ticket_without_clocks_moves_as_before(
    kit: Kit, db_session: AsyncSession, settings: TicketingSettings
) -> None:
    """A ticket opened before the SLA existed (no clock) still takes every action."""
    admitted = await tickets.admit_ticket(
        db_session, intake(await kit.site()), TECHNICIAN, now=paris(2026, 3, 9, 8)
    )
    ticket = admitted.ticket
    await tickets.file_ticket(db_session, settings, ticket, TECHNICIAN)
    ticket = await act(db_session, settings, ticket, SOLVE, paris(2026, 3, 9, 9))
    ticket = await act(db_session, settings, ticket, REOPEN, paris(2026, 3, 9, 10))
    explanation = await explained(db_session, settings, ticket, paris(2026, 3, 9, 11))
    assert explanation.clocks == []
    assert ticket.updated_at - ticket.created_at == timedelta(hours=2)
