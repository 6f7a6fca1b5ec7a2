"""What the lifecycle tests share: a technician and a support group to assign, a ticket
brought to any status through the API, the call to an action, the checks of a refusal."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from typing import Any

import httpx
import pytest

from ..conftest import TICKETS, Json, Kit

PROBLEM = "urn:guichet:problem:"
PLANNED_FOR = "2026-12-01T14:00:00+01:00"
CLAIRE = "claire.martin@ac-orleans-tours.fr"  # the requester of kit.create_ticket's tickets


def new_login(prefix: str) -> str:
    """A login or group code no other test uses (the database is shared by a run's tests)."""
    return f"{prefix}_{secrets.token_hex(4)}"


@dataclass(frozen=True)
class Staff:
    technician: str  # login
    technician_name: str
    technician_email: str
    group: str  # code
    group_name: str


async def create_technician(
    kit: Kit, *, active: bool = True, name: str = "Théo Technicien"
) -> Json:
    body = {
        "login": new_login("tech"),
        "name": name,
        "email": f"{new_login('t')}@loiret.fr",
        "active": active,
    }
    response = await kit.client.post(
        "/api/ticketing/technicians", json=body, headers=kit.supervisor
    )
    assert response.status_code == 201, response.text
    created: Json = response.json()
    return created


async def create_group(kit: Kit, *, active: bool = True) -> Json:
    body = {"code": new_login("grp"), "name": "Proximité Orléans nord", "active": active}
    response = await kit.client.post("/api/ticketing/groups", json=body, headers=kit.supervisor)
    assert response.status_code == 201, response.text
    created: Json = response.json()
    return created


@pytest.fixture
async def staff(kit: Kit) -> Staff:
    technician = await create_technician(kit)
    group = await create_group(kit)
    return Staff(
        technician=technician["login"],
        technician_name=technician["name"],
        technician_email=technician["email"],
        group=group["code"],
        group_name=group["name"],
    )


def body_for(action: str, staff: Staff) -> Json:
    """A valid body for `action`."""
    return {
        "assign": {"assignee": staff.technician, "group": staff.group},
        "plan": {"planned_for": PLANNED_FOR},
        "pend": {"reason": "part", "comment": "Carte mère commandée"},
        "resume": {},
        "solve": {
            "solution": "Alimentation remplacée, le poste démarre.",
            "resolution_code": "replaced",
        },
        "close": {},
        "reopen": {"reason": "Le poste s'éteint encore au bout d'une heure."},
        "cancel": {"reason": "Doublon"},
    }[action]


async def act(
    kit: Kit,
    reference: str,
    action: str,
    headers: dict[str, str] | None = None,
    *,
    etag: str | None = None,
    **fields: Any,
) -> httpx.Response:
    """`action` on the ticket with the ETag just read (or `etag`), as `headers` (a
    technician by default)."""
    path = f"{TICKETS}/{reference}"
    if_match = etag if etag is not None else await kit.etag(path)
    return await kit.client.post(
        f"{path}/transitions",
        json={"action": action, **fields},
        headers={**(headers or kit.technician), "If-Match": if_match},
    )


async def done(kit: Kit, reference: str, action: str, staff: Staff, **fields: Any) -> Json:
    """`action` with a valid body (`fields` added), which must succeed."""
    response = await act(kit, reference, action, **{**body_for(action, staff), **fields})
    assert response.status_code == 200, response.text
    moved: Json = response.json()
    return moved


# How the helpdesk brings a new ticket to each status.
ROUTES: dict[str, tuple[str, ...]] = {
    "new": (),
    "assigned": ("assign",),
    "planned": ("assign", "plan"),
    "pending": ("assign", "pend"),
    "solved": ("solve",),
    "closed": ("solve", "close"),
    "cancelled": ("cancel",),
}


async def ticket_in(kit: Kit, status: str, staff: Staff, **fields: Any) -> Json:
    """A new ticket (on a fresh site) brought to `status` through the API; its JSON."""
    ticket = await kit.create_ticket(await kit.site(), **fields)
    for action in ROUTES[status]:
        ticket = await done(kit, ticket["reference"], action, staff)
    assert ticket["status"] == status
    return ticket


async def history(kit: Kit, reference: str) -> list[Json]:
    response = await kit.client.get(f"{TICKETS}/{reference}/history", headers=kit.supervisor)
    assert response.status_code == 200, response.text
    items: list[Json] = response.json()["items"]
    return items


async def current(kit: Kit, reference: str) -> httpx.Response:
    response = await kit.client.get(f"{TICKETS}/{reference}", headers=kit.supervisor)
    assert response.status_code == 200, response.text
    return response


def refused(response: httpx.Response, status: int, slug: str) -> Json:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    problem: Json = response.json()
    assert problem["type"] == PROBLEM + slug
    return problem
