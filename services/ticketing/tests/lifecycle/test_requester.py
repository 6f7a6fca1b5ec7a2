"""What a requester may do to a ticket: approve (close) or refuse (reopen) a solution on a
ticket they see, withdraw (cancel) their own while it is new; nothing else. And what an
API key may do: everything the helpdesk does."""

from __future__ import annotations

import pytest

from ..conftest import TICKETS, Kit
from .conftest import CLAIRE, Staff, act, body_for, current, refused, ticket_in

pytestmark = pytest.mark.integration


def claire(kit: Kit) -> dict[str, str]:
    """The requester `kit.create_ticket` names (by e-mail), though someone else opened it."""
    return kit.requester(sub="claire", email=CLAIRE)


async def test_a_requester_approves_or_refuses_the_solution(kit: Kit, staff: Staff) -> None:
    approved = await ticket_in(kit, "solved", staff)
    closed = await act(kit, approved["reference"], "close", claire(kit))
    assert closed.status_code == 200, closed.text
    assert closed.json()["status"] == "closed"
    event = (await kit.events(approved["reference"]))[-1]
    assert event["type"] == "ticketing.ticket.closed.v1" and event["data"]["actor"] == "claire"

    refused_solution = await ticket_in(kit, "solved", staff)
    reopened = await act(
        kit, refused_solution["reference"], "reopen", claire(kit), reason="Toujours en panne."
    )
    assert reopened.status_code == 200, reopened.text
    assert reopened.json()["status"] == "new"


async def test_a_requester_cancels_their_own_new_ticket(kit: Kit, staff: Staff) -> None:
    site = await kit.site()
    mine = kit.requester(sub="paul", email="paul.durand@ac-orleans-tours.fr")
    opened = await kit.create_ticket(
        site,
        headers=mine,
        channel="portal",
        requester={"name": "Paul Durand", "email": "paul.durand@ac-orleans-tours.fr"},
    )
    cancelled = await act(kit, opened["reference"], "cancel", mine, reason="Réglé tout seul")
    assert cancelled.status_code == 200, cancelled.text
    assert cancelled.json()["status"] == "cancelled"
    # Named as its requester is as good as having opened it.
    named = await ticket_in(kit, "new", staff)
    assert (
        await act(kit, named["reference"], "cancel", claire(kit), reason="x")
    ).status_code == 200


async def test_once_taken_a_requester_no_longer_cancels(kit: Kit, staff: Staff) -> None:
    ticket = await ticket_in(kit, "assigned", staff)
    response = await act(kit, ticket["reference"], "cancel", claire(kit), reason="Plus besoin")
    problem = refused(response, 409, "invalid-transition")
    assert (problem["status_now"], problem["allowed_actions"]) == ("assigned", [])


async def test_a_requester_is_told_what_they_may_do_now(kit: Kit, staff: Staff) -> None:
    fresh = await ticket_in(kit, "new", staff)
    early = await act(kit, fresh["reference"], "close", claire(kit))
    assert refused(early, 409, "invalid-transition")["allowed_actions"] == ["cancel"]
    solved = await ticket_in(kit, "solved", staff)
    late = await act(kit, solved["reference"], "cancel", claire(kit), reason="x")
    assert refused(late, 409, "invalid-transition")["allowed_actions"] == ["close", "reopen"]
    closed = await ticket_in(kit, "closed", staff)
    again = await act(kit, closed["reference"], "reopen", claire(kit), reason="x")
    assert refused(again, 409, "invalid-transition")["allowed_actions"] == []


@pytest.mark.parametrize(
    ("action", "status"),
    [
        ("assign", "new"),
        ("plan", "assigned"),
        ("pend", "assigned"),
        ("resume", "pending"),
        ("solve", "new"),
    ],
)
async def test_the_helpdesk_actions_are_not_a_requesters(
    kit: Kit, staff: Staff, action: str, status: str
) -> None:
    ticket = await ticket_in(kit, status, staff)
    events = await kit.event_types(ticket["reference"])
    response = await act(kit, ticket["reference"], action, claire(kit), **body_for(action, staff))
    assert "helpdesk" in refused(response, 403, "forbidden")["detail"]
    assert (await current(kit, ticket["reference"])).json()["version"] == ticket["version"]
    assert await kit.event_types(ticket["reference"]) == events


async def test_a_sites_contact_approves_but_does_not_withdraw_others_tickets(
    kit: Kit, staff: Staff
) -> None:
    """A principal (a `sites` claim) sees every ticket of the school: they may accept or
    refuse a solution, not cancel someone else's ticket."""
    ticket = await ticket_in(kit, "new", staff)
    principal = kit.requester(
        sub="principal", email="principal@ac-orleans-tours.fr", sites=[ticket["site_code"]]
    )
    response = await act(kit, ticket["reference"], "cancel", principal, reason="x")
    assert "requester" in refused(response, 403, "forbidden")["detail"]
    await act(kit, ticket["reference"], "solve", **body_for("solve", staff))
    closed = await act(kit, ticket["reference"], "close", principal)
    assert closed.status_code == 200, closed.text


async def test_a_ticket_one_cannot_see_is_404(kit: Kit, staff: Staff) -> None:
    ticket = await ticket_in(kit, "solved", staff)
    stranger = kit.requester(sub="stranger", email="stranger@ac-orleans-tours.fr")
    response = await act(kit, ticket["reference"], "close", stranger)
    refused(response, 404, "not-found")
    # Staff limited to other sites do not see it either.
    elsewhere = kit.token("technician", sub="tech2", sites=["CLG-OTHER"])
    refused(await act(kit, ticket["reference"], "close", elsewhere), 404, "not-found")
    assert (await current(kit, ticket["reference"])).json()["status"] == "solved"


async def test_an_api_key_takes_the_helpdesk_actions(kit: Kit, staff: Staff) -> None:
    ticket = await ticket_in(kit, "new", staff)
    key = {"Authorization": f"Bearer {await kit.api_key('ticketing:write')}"}
    response = await act(kit, ticket["reference"], "assign", key, **body_for("assign", staff))
    assert response.status_code == 200, response.text
    reader = {"Authorization": f"Bearer {await kit.api_key('ticketing:read')}"}
    etag = (await current(kit, ticket["reference"])).headers["ETag"]
    read_only = await kit.client.post(
        f"{TICKETS}/{ticket['reference']}/transitions",
        json={"action": "solve", **body_for("solve", staff)},
        headers={**reader, "If-Match": etag},
    )
    assert read_only.status_code == 403, read_only.text
