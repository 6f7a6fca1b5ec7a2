"""`POST /tickets/{reference}/transitions` for the helpdesk: every legal transition (status
after, event, history, ETag), every illegal one (409 with the actions allowed), If-Match."""

from __future__ import annotations

from datetime import datetime

import pytest

from ..conftest import TICKETS, Kit
from .conftest import (
    PLANNED_FOR,
    Staff,
    act,
    body_for,
    create_technician,
    current,
    done,
    history,
    refused,
    ticket_in,
)

pytestmark = pytest.mark.integration

# Written out, not read from the lifecycle's table: the test states the rules.
STAFF_ALLOWED = {
    "new": ["assign", "solve", "cancel"],
    "assigned": ["assign", "plan", "pend", "solve", "cancel"],
    "planned": ["assign", "plan", "pend", "solve", "cancel"],
    "pending": ["resume", "solve", "cancel"],
    "solved": ["close", "reopen"],
    "closed": [],
    "cancelled": [],
}
ACTIONS = ["assign", "plan", "pend", "resume", "solve", "close", "reopen", "cancel"]
# (action, from) -> status after, for the tickets `ticket_in` makes (a reopened ticket was
# solved straight from new: nobody has it).
LEGAL = {
    ("assign", "new"): "assigned",
    ("assign", "assigned"): "assigned",
    ("assign", "planned"): "planned",
    ("plan", "assigned"): "planned",
    ("plan", "planned"): "planned",
    ("pend", "assigned"): "pending",
    ("pend", "planned"): "pending",
    ("resume", "pending"): "assigned",
    ("solve", "new"): "solved",
    ("solve", "assigned"): "solved",
    ("solve", "planned"): "solved",
    ("solve", "pending"): "solved",
    ("close", "solved"): "closed",
    ("reopen", "solved"): "new",
    ("cancel", "new"): "cancelled",
    ("cancel", "assigned"): "cancelled",
    ("cancel", "planned"): "cancelled",
    ("cancel", "pending"): "cancelled",
}
EVENTS = {
    "assign": "ticketing.ticket.assigned.v1",
    "plan": "ticketing.ticket.planned.v1",
    "pend": "ticketing.ticket.pended.v1",
    "resume": "ticketing.ticket.resumed.v1",
    "solve": "ticketing.ticket.solved.v1",
    "close": "ticketing.ticket.closed.v1",
    "reopen": "ticketing.ticket.reopened.v1",
    "cancel": "ticketing.ticket.cancelled.v1",
}


def moment(value: str) -> datetime:
    return datetime.fromisoformat(value)


def test_the_tables_agree() -> None:
    assert set(LEGAL) == {
        (action, status) for status, actions in STAFF_ALLOWED.items() for action in actions
    }


async def ticket_events(kit: Kit, reference: str) -> list[str]:
    return [t for t in await kit.event_types(reference) if t.startswith("ticketing.ticket.")]


@pytest.mark.parametrize(("action", "source"), sorted(LEGAL), ids="-from-".join)
async def test_legal_transition(kit: Kit, staff: Staff, action: str, source: str) -> None:
    ticket = await ticket_in(kit, source, staff)
    reference = ticket["reference"]
    events_before = await ticket_events(kit, reference)
    entries_before = await history(kit, reference)

    response = await act(kit, reference, action, **body_for(action, staff))

    assert response.status_code == 200, response.text
    moved = response.json()
    assert moved["status"] == LEGAL[action, source]
    assert moved["version"] == ticket["version"] + 1
    assert response.headers["ETag"] == f'"{moved["version"]}"'
    assert (await current(kit, reference)).headers["ETag"] == response.headers["ETag"]
    assert moment(moved["updated_at"]) > moment(ticket["updated_at"])
    # Exactly one event of the ticket, carrying it as it is now (planning also announces
    # the visit: `ticketing.intervention.planned.v1`, the interventions' tests).
    assert await ticket_events(kit, reference) == [*events_before, EVENTS[action]]
    event = [e for e in await kit.events(reference) if e["type"] == EVENTS[action]][-1]["data"]
    assert (event["status"], event["version"]) == (moved["status"], moved["version"])
    assert event["actor"] == "tech1" and event["actor_name"] == "Théo Technicien"
    # One history entry, naming the action and each field changed.
    entries = await history(kit, reference)
    assert len(entries) == len(entries_before) + 1
    entry = entries[-1]
    assert entry["action"] == action and entry["actor"] == "tech1"
    if moved["status"] != source:
        assert entry["changes"]["status"] == [source, moved["status"]]
    else:
        assert "status" not in entry["changes"]


@pytest.mark.parametrize("source", list(STAFF_ALLOWED))
async def test_illegal_transitions(kit: Kit, staff: Staff, source: str) -> None:
    ticket = await ticket_in(kit, source, staff)
    reference = ticket["reference"]
    events_before = await kit.event_types(reference)
    etag = (await current(kit, reference)).headers["ETag"]
    for action in ACTIONS:
        if action in STAFF_ALLOWED[source]:
            continue
        response = await act(kit, reference, action, **body_for(action, staff))
        problem = refused(response, 409, "invalid-transition")
        assert problem["status"] == 409
        assert problem["status_now"] == source, action
        assert problem["allowed_actions"] == STAFF_ALLOWED[source], action
        assert action in problem["detail"]
    # Nothing changed.
    assert (await current(kit, reference)).headers["ETag"] == etag
    assert await kit.event_types(reference) == events_before


async def test_if_match_is_required_and_checked(kit: Kit, staff: Staff) -> None:
    ticket = await ticket_in(kit, "new", staff)
    reference = ticket["reference"]
    path = f"{TICKETS}/{reference}/transitions"
    body = {"action": "solve", **body_for("solve", staff)}

    missing = await kit.client.post(path, json=body, headers=kit.technician)
    refused(missing, 428, "precondition-required")

    stale = await act(kit, reference, "solve", etag='"999"', **body_for("solve", staff))
    assert refused(stale, 412, "precondition-failed")["etag"] == f'"{ticket["version"]}"'

    after = (await current(kit, reference)).json()
    assert (after["status"], after["version"]) == ("new", ticket["version"])
    assert await kit.event_types(reference) == ["ticketing.ticket.created.v1"]
    assert [entry["action"] for entry in await history(kit, reference)] == ["created"]

    # A weak or listed ETag is matched as well.
    weak = await act(
        kit, reference, "solve", etag=f'W/"{ticket["version"]}"', **body_for("solve", staff)
    )
    assert weak.status_code == 200, weak.text


async def test_unknown_ticket_is_404(kit: Kit) -> None:
    response = await act(kit, "INC-2026-999999", "close", etag='"1"')
    assert refused(response, 404, "not-found")


async def test_assign_sets_the_people(kit: Kit, staff: Staff) -> None:
    ticket = await ticket_in(kit, "new", staff)
    reference = ticket["reference"]
    moved = await done(kit, reference, "assign", staff)
    assert (moved["assignee"], moved["assignee_name"]) == (staff.technician, staff.technician_name)
    assert (moved["group"], moved["group_name"]) == (staff.group, staff.group_name)
    event = (await kit.events(reference))[-1]["data"]
    assert event["assignee_email"] == staff.technician_email
    assert event["group_code"] == staff.group and event["group_name"] == staff.group_name
    [*_, entry] = await history(kit, reference)
    assert entry["changes"] == {
        "status": ["new", "assigned"],
        "assignee": [None, staff.technician],
        "group": [None, staff.group],
    }


async def test_a_group_alone_assigns_and_the_fields_left_out_are_kept(
    kit: Kit, staff: Staff
) -> None:
    ticket = await ticket_in(kit, "new", staff)
    reference = ticket["reference"]
    by_group = await done(kit, reference, "assign", staff, assignee=None)
    assert (by_group["status"], by_group["assignee"], by_group["group"]) == (
        "assigned",
        None,
        staff.group,
    )
    by_technician = await done(kit, reference, "assign", staff, group=None)
    assert (by_technician["assignee"], by_technician["group"]) == (staff.technician, staff.group)


async def test_a_reassignment_keeps_the_plan(kit: Kit, staff: Staff) -> None:
    ticket = await ticket_in(kit, "planned", staff)
    other = await create_technician(kit, name="Inès Intervenante")
    moved = await done(kit, ticket["reference"], "assign", staff, assignee=other["login"])
    assert (moved["status"], moved["assignee"]) == ("planned", other["login"])
    assert moved["assignee_name"] == "Inès Intervenante"
    assert moved["planned_for"] == ticket["planned_for"]


async def test_plan_needs_an_assignee_or_names_one(kit: Kit, staff: Staff) -> None:
    ticket = await kit.create_ticket(await kit.site())
    reference = ticket["reference"]
    await done(kit, reference, "assign", staff, assignee=None)  # a group only
    etag = (await current(kit, reference)).headers["ETag"]

    nobody = await act(kit, reference, "plan", planned_for=PLANNED_FOR)
    assert refused(nobody, 409, "assignee-required")["status_now"] == "assigned"
    assert (await current(kit, reference)).headers["ETag"] == etag

    planned = await done(kit, reference, "plan", staff, technician=staff.technician)
    assert (planned["status"], planned["assignee"]) == ("planned", staff.technician)
    assert planned["planned_for"] == "2026-12-01T13:00:00Z"
    # Created, assigned, planned; and the visit on the technician's agenda.
    assert (await kit.event_types(reference))[-2:] == [
        "ticketing.ticket.planned.v1",
        "ticketing.intervention.planned.v1",
    ]
    assert len(await ticket_events(kit, reference)) == 3
    event = (await kit.events(reference))[-2]["data"]
    assert event["assignee"] == staff.technician
    assert event["planned_for"] == "2026-12-01T13:00:00Z"


async def test_pend_then_resume_returns_to_planned_when_planned(kit: Kit, staff: Staff) -> None:
    ticket = await ticket_in(kit, "planned", staff)
    reference = ticket["reference"]
    pended = await done(kit, reference, "pend", staff)
    assert (pended["pending_reason"], pended["pending_reason_label"]) == (
        "part",
        "En attente de pièce",
    )
    event = (await kit.events(reference))[-1]["data"]
    assert event["pending_reason"] == "part"
    assert event["pending_reason_label"] == "En attente de pièce"
    [*_, entry] = await history(kit, reference)
    assert entry["reason"] == "Carte mère commandée"

    resumed = await done(kit, reference, "resume", staff)
    assert (resumed["status"], resumed["pending_reason"]) == ("planned", None)
    assert resumed["planned_for"] == ticket["planned_for"]


async def test_solve_records_the_solution(kit: Kit, staff: Staff) -> None:
    ticket = await ticket_in(kit, "pending", staff)
    reference = ticket["reference"]
    solved = await done(kit, reference, "solve", staff)
    assert solved["solution"] == "Alimentation remplacée, le poste démarre."
    assert (solved["resolution_code"], solved["resolution_label"]) == (
        "replaced",
        "Matériel remplacé",
    )
    assert solved["solved_at"] is not None and solved["pending_reason"] is None
    event = (await kit.events(reference))[-1]["data"]
    assert event["solution"] == solved["solution"]
    assert event["resolution_label"] == "Matériel remplacé"

    closed = await done(kit, reference, "close", staff)
    assert closed["closed_at"] is not None and closed["solution"] == solved["solution"]


async def test_reopen_keeps_the_assignee_and_clears_the_solution(kit: Kit, staff: Staff) -> None:
    ticket = await ticket_in(kit, "planned", staff)
    reference = ticket["reference"]
    await done(kit, reference, "solve", staff)
    reopened = await done(kit, reference, "reopen", staff)
    assert reopened["status"] == "assigned"
    assert (reopened["assignee"], reopened["group"]) == (staff.technician, staff.group)
    for field in ("solution", "resolution_code", "solved_at", "planned_for"):
        assert reopened[field] is None, field
    [*_, entry] = await history(kit, reference)
    assert entry["reason"] == "Le poste s'éteint encore au bout d'une heure."
    assert entry["changes"]["solution"] == ["Alimentation remplacée, le poste démarre.", None]
    assert entry["changes"]["status"] == ["solved", "assigned"]
    event = (await kit.events(reference))[-1]["data"]
    assert event["reason"] == "Le poste s'éteint encore au bout d'une heure."


async def test_cancel_records_the_reason(kit: Kit, staff: Staff) -> None:
    ticket = await ticket_in(kit, "pending", staff)
    reference = ticket["reference"]
    cancelled = await done(kit, reference, "cancel", staff, reason="Doublon de INC-2026-000001")
    assert (cancelled["status"], cancelled["pending_reason"]) == ("cancelled", None)
    [*_, entry] = await history(kit, reference)
    assert entry["reason"] == "Doublon de INC-2026-000001"
    assert (await kit.events(reference))[-1]["data"]["reason"] == "Doublon de INC-2026-000001"
