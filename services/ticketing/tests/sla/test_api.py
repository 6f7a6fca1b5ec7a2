"""The SLA over HTTP: the targets (read by the helpdesk, replaced by a supervisor with
If-Match), and `GET /tickets/{reference}/sla`, its segments explaining the time spent."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import datetime, timedelta
from itertools import pairwise
from typing import Any

import pytest
from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncSession

from ticketing.lifecycle.schemas import Command
from ticketing.sla.models import ClockKind

from ..conftest import TICKETS, Json, Kit, fields_named
from ..lifecycle.conftest import act, create_technician, refused
from . import support
from .conftest import paris
from .support import RESUME, assign, explained, new_technician, open_at, pend, the_clock

pytestmark = pytest.mark.integration

TARGETS = "/api/ticketing/settings/sla-targets"
DEFAULTS = {
    6: (30, 240),
    5: (60, 480),
    4: (120, 960),
    3: (240, 1440),
    2: (480, 2400),
    1: (960, 4800),
}
# Every reason a span may give (the calendar's, or a pause's).
CALENDAR_REASONS = ("heures d'ouverture", "pause déjeuner", "hors heures d'ouverture", "week-end")


def body(minutes: dict[int, tuple[int, int]]) -> Json:
    return {
        "targets": [
            {"priority": priority, "tto_minutes": tto, "ttr_minutes": ttr}
            for priority, (tto, ttr) in sorted(minutes.items())
        ]
    }


# --- the targets -----------------------------------------------------------------------------


async def test_the_helpdesk_reads_the_default_targets(kit: Kit) -> None:
    response = await kit.client.get(TARGETS, headers=kit.technician)
    assert response.status_code == 200, response.text
    assert response.headers["ETag"]
    targets = response.json()["targets"]
    assert [t["priority"] for t in targets] == [1, 2, 3, 4, 5, 6]
    found = {t["priority"]: (t["tto_minutes"], t["ttr_minutes"]) for t in targets}
    # Priority 4 is the one the replacement test changes (and puts back).
    assert {p: m for p, m in found.items() if p != 4} == {
        p: m for p, m in DEFAULTS.items() if p != 4
    }
    assert targets[5]["priority_label"] == "Majeure"
    requester = await kit.client.get(TARGETS, headers=kit.requester())
    assert requester.status_code == 403


@pytest.fixture
async def priority_4_restored(kit: Kit) -> AsyncIterator[None]:
    yield
    etag = await kit.etag(TARGETS)
    restored = await kit.client.put(
        TARGETS, json=body(DEFAULTS), headers={**kit.supervisor, "If-Match": etag}
    )
    assert restored.status_code == 200, restored.text


@pytest.mark.usefixtures("priority_4_restored")
async def test_a_supervisor_replaces_the_targets_with_if_match(kit: Kit) -> None:
    etag = await kit.etag(TARGETS)
    new = {**DEFAULTS, 4: (90, 720)}
    missing = await kit.client.put(TARGETS, json=body(new), headers=kit.supervisor)
    refused(missing, 428, "precondition-required")
    stale = await kit.client.put(
        TARGETS, json=body(new), headers={**kit.supervisor, "If-Match": '"0"'}
    )
    assert refused(stale, 412, "precondition-failed")["etag"] == etag
    technician = await kit.client.put(
        TARGETS, json=body(new), headers={**kit.technician, "If-Match": etag}
    )
    assert technician.status_code == 403

    done = await kit.client.put(
        TARGETS, json=body(new), headers={**kit.supervisor, "If-Match": etag}
    )
    assert done.status_code == 200, done.text
    assert done.headers["ETag"] != etag
    assert done.json()["updated_by"] == "super1"
    assert done.json()["targets"][3] == {
        "priority": 4,
        "priority_label": "Haute",
        "tto_minutes": 90,
        "ttr_minutes": 720,
    }
    # The same targets again write nothing: the ETag stays.
    again = await kit.client.put(
        TARGETS, json=body(new), headers={**kit.supervisor, "If-Match": done.headers["ETag"]}
    )
    assert again.headers["ETag"] == done.headers["ETag"]

    # A new ticket of priority 4 takes them.
    ticket = await kit.create_ticket(await kit.site(), priority=4)
    sla = await kit.client.get(f"{TICKETS}/{ticket['reference']}/sla", headers=kit.technician)
    assert [c["target_minutes"] for c in sla.json()["clocks"]] == [90, 720]


@pytest.mark.parametrize(
    ("change", "field"),
    [
        (lambda targets: targets[:5], "targets"),
        (lambda targets: [*targets[:5], {**targets[0]}], "targets"),
        (
            lambda targets: [{**targets[0], "ttr_minutes": 10}, *targets[1:]],
            "targets.0.ttr_minutes",
        ),
        (lambda targets: [{**targets[0], "tto_minutes": 0}, *targets[1:]], "targets.0.tto_minutes"),
        (lambda targets: [{**targets[0], "priority": 7}, *targets[1:]], "targets.0.priority"),
        (lambda targets: [{**targets[0], "extra": 1}, *targets[1:]], "targets.0.extra"),
    ],
)
async def test_a_wrong_set_of_targets_is_refused_naming_the_field(
    kit: Kit, change: Any, field: str
) -> None:
    etag = await kit.etag(TARGETS)
    refused_body = {"targets": change(body(DEFAULTS)["targets"])}
    response = await kit.client.put(
        TARGETS, json=refused_body, headers={**kit.supervisor, "If-Match": etag}
    )
    refused(response, 422, "validation-error")
    assert field in fields_named(response)
    assert await kit.etag(TARGETS) == etag


# --- a ticket's clocks, explained ------------------------------------------------------------


def contiguous(segments: list[Json]) -> bool:
    return all(a["end"] == b["start"] for a, b in pairwise(segments))


async def test_the_helpdesk_reads_a_tickets_clocks(kit: Kit) -> None:
    site = await kit.site()
    ticket = await kit.create_ticket(site, priority=5)
    path = f"{TICKETS}/{ticket['reference']}/sla"
    response = await kit.client.get(path, headers=kit.technician)
    assert response.status_code == 200, response.text
    sla = response.json()
    assert (sla["reference"], sla["priority"], sla["priority_label"]) == (
        ticket["reference"],
        5,
        "Très haute",
    )
    assert sla["targets"]["tto_minutes"] == 60 and sla["targets"]["ttr_minutes"] == 480
    assert [(c["kind"], c["label"]) for c in sla["clocks"]] == [
        ("tto", "Délai de prise en charge"),
        ("ttr", "Délai de résolution"),
    ]
    for found in sla["clocks"]:
        assert found["running"] is True
        assert found["status"] in {"running", "breached"}
        assert found["deadline"] and found["warn_at"] <= found["deadline"]
        segments = found["segments"]
        assert segments and contiguous(segments)
        assert datetime.fromisoformat(segments[0]["start"]) == datetime.fromisoformat(
            ticket["created_at"]
        )
        assert all(
            s["reason"] in CALENDAR_REASONS
            or "jour férié" in s["reason"]
            or "vacances scolaires" in s["reason"]
            for s in segments
        )
        counted = sum(s["seconds"] for s in segments if s["counted"])
        assert abs(counted - found["elapsed_seconds"]) <= len(segments)

    # Pending: the TTR stops counting and says why.
    staff = await create_technician(kit)
    assigned = await act(kit, ticket["reference"], "assign", assignee=staff["login"])
    assert assigned.status_code == 200, assigned.text
    pended = await act(kit, ticket["reference"], "pend", reason="part", comment="Carte commandée")
    assert pended.status_code == 200, pended.text
    paused = (await kit.client.get(path, headers=kit.technician)).json()
    tto, ttr = paused["clocks"]
    assert tto["status"] in {"met", "breached"} and tto["stopped_at"] is not None
    assert (ttr["status"], ttr["running"], ttr["deadline"]) in {
        ("paused", False, None),
        ("breached", False, None),
    }
    assert ttr["segments"][-1]["reason"] == "en attente (pièce)"
    assert ttr["segments"][-1]["counted"] is False


async def test_who_may_read_a_tickets_clocks(kit: Kit) -> None:
    site = await kit.site()
    ticket = await kit.create_ticket(site)
    path = f"{TICKETS}/{ticket['reference']}/sla"
    assert (await kit.client.get(path, headers=kit.supervisor)).status_code == 200
    key = await kit.api_key("ticketing:read")
    as_key = await kit.client.get(path, headers={"Authorization": f"Bearer {key}"})
    assert as_key.status_code == 200
    # The requester who opened it sees the ticket, not its clocks.
    mine = await kit.create_ticket(site, headers=kit.requester())
    requester = await kit.client.get(f"{TICKETS}/{mine['reference']}/sla", headers=kit.requester())
    assert requester.status_code == 403
    # A technician of other sites does not know it exists.
    elsewhere = kit.token("technician", sites=["CLG-AUTRE"])
    refused(await kit.client.get(path, headers=elsewhere), 404, "not-found")
    refused(
        await kit.client.get(f"{TICKETS}/INC-2026-999999/sla", headers=kit.technician),
        404,
        "not-found",
    )


async def test_the_segments_explain_every_minute(kit: Kit, db_session: AsyncSession) -> None:
    """Through the service, at chosen instants: a P1 ticket (TTR 4,800) opened Friday 3
    April 2026 16:00, pending on Tuesday 7 from 11:00 to 12:30, read on Wednesday 8 April
    10:00 (zone B in term time; Monday 6 is Easter Monday)."""
    login = await new_technician(kit)
    ticket = await open_at(db_session, kit.settings, await kit.site(), paris(2026, 4, 3, 16), 1)
    steps: list[tuple[Command, datetime]] = [
        (assign(login), paris(2026, 4, 3, 16)),
        (pend(), paris(2026, 4, 7, 11)),
        (RESUME, paris(2026, 4, 7, 12, 30)),
    ]
    for command, at in steps:
        ticket = await support.act(db_session, kit.settings, ticket, command, at)
    found = the_clock(
        await explained(db_session, kit.settings, ticket, paris(2026, 4, 8, 10)), ClockKind.TTR
    )
    assert [(s.start, s.end, s.counted, s.reason) for s in found.segments] == [
        (paris(2026, 4, 3, 16), paris(2026, 4, 3, 17, 30), True, "heures d'ouverture"),
        (paris(2026, 4, 3, 17, 30), paris(2026, 4, 4), False, "hors heures d'ouverture"),
        (paris(2026, 4, 4), paris(2026, 4, 6), False, "week-end"),
        (paris(2026, 4, 6), paris(2026, 4, 7), False, "jour férié (Lundi de Pâques)"),
        (paris(2026, 4, 7), paris(2026, 4, 7, 8), False, "hors heures d'ouverture"),
        (paris(2026, 4, 7, 8), paris(2026, 4, 7, 11), True, "heures d'ouverture"),
        (paris(2026, 4, 7, 11), paris(2026, 4, 7, 12, 30), False, "en attente (fournisseur)"),
        (paris(2026, 4, 7, 12, 30), paris(2026, 4, 7, 13, 30), False, "pause déjeuner"),
        (paris(2026, 4, 7, 13, 30), paris(2026, 4, 7, 17, 30), True, "heures d'ouverture"),
        (paris(2026, 4, 7, 17, 30), paris(2026, 4, 8, 8), False, "hors heures d'ouverture"),
        (paris(2026, 4, 8, 8), paris(2026, 4, 8, 10), True, "heures d'ouverture"),
    ]
    # 90 + 180 + 240 + 120 = 630 minutes counted; 4,170 left of 4,800.
    assert sum(s.seconds for s in found.segments if s.counted) == found.elapsed_seconds
    assert (found.elapsed_minutes, found.remaining_minutes, found.overdue_minutes) == (630, 4170, 0)
    assert sum((s.end - s.start for s in found.segments), timedelta()) == (
        paris(2026, 4, 8, 10) - paris(2026, 4, 3, 16)
    )


async def test_fifty_periods_are_explained_in_five_queries(
    kit: Kit, db_session: AsyncSession
) -> None:
    """A ticket pended and resumed 25 times (51 periods of its TTR): the explanation reads
    the ticket, its clocks, all their periods, the targets and the site, once each."""
    login = await new_technician(kit)
    ticket = await open_at(db_session, kit.settings, await kit.site(), paris(2026, 3, 2, 8))
    ticket = await support.act(
        db_session, kit.settings, ticket, assign(login), paris(2026, 3, 2, 8)
    )
    at = paris(2026, 3, 2, 8)
    for _ in range(25):
        at += timedelta(minutes=30)
        ticket = await support.act(db_session, kit.settings, ticket, pend(), at)
        at += timedelta(minutes=30)
        ticket = await support.act(db_session, kit.settings, ticket, RESUME, at)
    statements: list[str] = []

    def count(*args: Any) -> None:
        statements.append(args[2])

    engine = db_session.bind.engine.sync_engine  # type: ignore[union-attr]
    event.listen(engine, "before_cursor_execute", count)
    try:
        explanation = await explained(db_session, kit.settings, ticket, at + timedelta(hours=1))
    finally:
        event.remove(engine, "before_cursor_execute", count)
    # (The targets may come from the session's identity map: five at most.)
    assert len(statements) <= 5, statements
    found = the_clock(explanation, ClockKind.TTR)
    assert len([s for s in found.segments if s.reason == "en attente (fournisseur)"]) == 25
    assert sum(s.seconds for s in found.segments if s.counted) == found.elapsed_seconds
