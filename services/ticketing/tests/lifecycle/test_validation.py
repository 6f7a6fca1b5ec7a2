"""What a transition refuses as input (422 naming the field), and that nothing changes."""

from __future__ import annotations

from typing import Any

import pytest

from ..conftest import TICKETS, Kit, fields_named
from .conftest import (
    Staff,
    act,
    body_for,
    create_group,
    create_technician,
    current,
    refused,
    ticket_in,
)

pytestmark = pytest.mark.integration

ACTIONS = "must be one of: assign, plan, pend, resume, solve, close, reopen, cancel"


async def unchanged_after(kit: Kit, reference: str, action: str, field: str, **body: Any) -> None:
    """`action` with `body` is a 422 naming exactly `field`, and changes nothing."""
    etag = (await current(kit, reference)).headers["ETag"]
    events = await kit.event_types(reference)
    response = await act(kit, reference, action, **body)
    refused(response, 422, "validation-error")
    assert fields_named(response) == [field], response.text
    assert field in response.json()["detail"]
    assert (await current(kit, reference)).headers["ETag"] == etag
    assert await kit.event_types(reference) == events


async def test_assign_needs_a_known_active_technician_or_group(kit: Kit, staff: Staff) -> None:
    reference = (await ticket_in(kit, "new", staff))["reference"]
    retired = await create_technician(kit, active=False)
    dissolved = await create_group(kit, active=False)
    await unchanged_after(kit, reference, "assign", "assignee")
    await unchanged_after(kit, reference, "assign", "assignee", assignee=None, group=None)
    await unchanged_after(kit, reference, "assign", "assignee", assignee="nobody_here")
    await unchanged_after(kit, reference, "assign", "assignee", assignee=retired["login"])
    await unchanged_after(kit, reference, "assign", "group", group="no_such_group")
    await unchanged_after(
        kit, reference, "assign", "group", assignee=staff.technician, group=dissolved["code"]
    )
    await unchanged_after(kit, reference, "assign", "assignee", assignee="")


async def test_plan_needs_a_moment_with_its_offset_and_a_known_technician(
    kit: Kit, staff: Staff
) -> None:
    reference = (await ticket_in(kit, "assigned", staff))["reference"]
    await unchanged_after(kit, reference, "plan", "planned_for")
    await unchanged_after(kit, reference, "plan", "planned_for", planned_for="2026-12-01T14:00:00")
    await unchanged_after(
        kit, reference, "plan", "planned_for", planned_for="2101-01-01T14:00:00+01:00"
    )
    await unchanged_after(
        kit,
        reference,
        "plan",
        "technician",
        planned_for="2026-12-01T14:00:00+01:00",
        technician="nobody_here",
    )


async def test_pend_needs_a_known_reason(kit: Kit, staff: Staff) -> None:
    reference = (await ticket_in(kit, "assigned", staff))["reference"]
    await unchanged_after(kit, reference, "pend", "reason")
    await unchanged_after(kit, reference, "pend", "reason", reason="weather")
    await unchanged_after(kit, reference, "pend", "comment", reason="user", comment="x" * 1001)


async def test_solve_needs_a_solution_and_its_code(kit: Kit, staff: Staff) -> None:
    reference = (await ticket_in(kit, "assigned", staff))["reference"]
    body = body_for("solve", staff)
    await unchanged_after(kit, reference, "solve", "solution", resolution_code="fixed")
    await unchanged_after(kit, reference, "solve", "resolution_code", solution=body["solution"])
    await unchanged_after(kit, reference, "solve", "solution", **{**body, "solution": "   "})
    await unchanged_after(kit, reference, "solve", "solution", **{**body, "solution": "x" * 20_001})
    await unchanged_after(kit, reference, "solve", "solution", **{**body, "solution": "a\x00b"})
    await unchanged_after(
        kit, reference, "solve", "resolution_code", **{**body, "resolution_code": "magic"}
    )
    accepted = await act(kit, reference, "solve", **{**body, "solution": "x" * 20_000})
    assert accepted.status_code == 200, accepted.text


async def test_reopen_and_cancel_need_a_reason(kit: Kit, staff: Staff) -> None:
    solved = (await ticket_in(kit, "solved", staff))["reference"]
    await unchanged_after(kit, solved, "reopen", "reason")
    await unchanged_after(kit, solved, "reopen", "reason", reason="")
    fresh = (await ticket_in(kit, "new", staff))["reference"]
    await unchanged_after(kit, fresh, "cancel", "reason")
    await unchanged_after(kit, fresh, "cancel", "reason", reason="x" * 1001)


async def test_the_action_must_be_known_and_its_fields_its_own(kit: Kit, staff: Staff) -> None:
    reference = (await ticket_in(kit, "new", staff))["reference"]
    await unchanged_after(kit, reference, "teleport", "action")
    await unchanged_after(kit, reference, "close", "reason", reason="not a close field")
    etag = (await current(kit, reference)).headers["ETag"]
    no_action = await kit.client.post(
        f"{TICKETS}/{reference}/transitions",
        json={"reason": "x"},
        headers={**kit.technician, "If-Match": etag},
    )
    refused(no_action, 422, "validation-error")
    assert fields_named(no_action) == ["action"]
    assert no_action.json()["errors"][0]["message"] == ACTIONS
    unknown = await act(kit, reference, "teleport")
    assert unknown.json()["errors"][0]["message"] == ACTIONS
