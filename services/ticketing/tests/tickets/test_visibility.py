"""Who sees which ticket (`deps.Viewer`), on the ticket and on its checklist: staff by the
sites they cover, a requester the tickets they opened or that name them, a requester with a
`sites` claim the tickets of those sites, an API key the sites it is limited to. A ticket
one may not see does not exist for them (404)."""

from __future__ import annotations

import secrets

import pytest

from ..conftest import TICKETS, Json, Kit
from .conftest import intake, post, problem_type, tickets_of

pytestmark = pytest.mark.integration

Headers = dict[str, str]


async def sees(kit: Kit, ticket: Json, headers: Headers) -> bool:
    """Whether `headers` read the ticket and its checklist (both, or neither)."""
    path = f"{TICKETS}/{ticket['reference']}"
    read = await kit.client.get(path, headers=headers)
    listed = await kit.client.get(f"{path}/tasks", headers=headers)
    assert read.status_code == listed.status_code, (read.text, listed.text)
    assert read.status_code in (200, 404), read.text
    if read.status_code == 404:
        assert problem_type(read) == "not-found"
    return read.status_code == 200


def person(sub: str | None = None, email: str | None = None) -> tuple[str, str]:
    """A sub and an e-mail no other test uses."""
    token = secrets.token_hex(4)
    return sub or f"user-{token}", email or f"user.{token}@ac-orleans-tours.fr"


@pytest.fixture
async def ticket(kit: Kit) -> Json:
    """A workstation replacement opened by the helpdesk on a site of its own."""
    return await kit.create_ticket(await kit.site(), category="workstation_replacement")


# --- staff -----------------------------------------------------------------------------------


async def test_a_technician_without_sites_sees_every_ticket(kit: Kit, ticket: Json) -> None:
    assert await sees(kit, ticket, kit.token("technician", sub="tech9"))


async def test_staff_see_the_tickets_of_the_sites_they_cover(kit: Kit, ticket: Json) -> None:
    other = await kit.site()
    assert not await sees(kit, ticket, kit.token("technician", sites=[other]))
    assert not await sees(kit, ticket, kit.token("supervisor", sites=[other]))
    assert await sees(kit, ticket, kit.token("technician", sites=[other, ticket["site_code"]]))
    assert await sees(kit, ticket, kit.token("technician", sites=[ticket["site_code"].lower()]))


async def test_staff_open_tickets_only_on_the_sites_they_cover(kit: Kit) -> None:
    mine, other = await kit.site(), await kit.site()
    headers = kit.token("technician", sites=[mine])
    refused = await post(kit, intake(other), headers=headers)
    assert refused.status_code == 403, refused.text
    assert problem_type(refused) == "forbidden"
    assert await tickets_of(kit, other) == 0
    assert (await post(kit, intake(mine), headers=headers)).status_code == 201


# --- requesters ------------------------------------------------------------------------------


async def test_a_requester_sees_the_ticket_they_opened(kit: Kit) -> None:
    sub, email = person()
    opener = kit.requester(sub=sub, email=email)
    created = await kit.create_ticket(await kit.site(), headers=opener)
    assert await sees(kit, created, opener)
    # By `sub`: without an e-mail in the token too.
    assert await sees(kit, created, kit.requester(sub=sub, email=None))


async def test_a_requester_named_as_requester_sees_it_whatever_the_case(
    kit: Kit, ticket: Json
) -> None:
    email = ticket["requester"]["email"]
    assert await sees(kit, ticket, kit.requester(sub=person()[0], email=email.upper()))


async def test_the_affected_user_sees_it_whatever_the_case(kit: Kit) -> None:
    _, email = person()
    created = await kit.create_ticket(
        await kit.site(), affected_user={"name": "M. Paul Durand", "email": email.upper()}
    )
    assert await sees(kit, created, kit.requester(sub=person()[0], email=email))


async def test_an_unrelated_requester_sees_nothing(kit: Kit, ticket: Json) -> None:
    sub, email = person()
    assert not await sees(kit, ticket, kit.requester(sub=sub, email=email))
    assert not await sees(kit, ticket, kit.requester(sub=sub, email=None))


async def test_a_requester_with_sites_sees_those_sites_tickets(kit: Kit, ticket: Json) -> None:
    sub, email = person()
    principal = kit.requester(sub=sub, email=email, sites=[ticket["site_code"]])
    assert await sees(kit, ticket, principal)
    elsewhere = kit.requester(sub=sub, email=email, sites=[await kit.site()])
    assert not await sees(kit, ticket, elsewhere)


# --- API keys --------------------------------------------------------------------------------


async def test_a_read_key_limited_to_a_site_sees_only_that_sites_tickets(
    kit: Kit, ticket: Json
) -> None:
    other = await kit.create_ticket(await kit.site())
    key = await kit.api_key("ticketing:read", sites=[ticket["site_code"]])
    headers = {"Authorization": f"Bearer {key}"}
    assert await sees(kit, ticket, headers)
    assert not await sees(kit, other, headers)


async def test_a_read_key_without_sites_sees_every_ticket(kit: Kit, ticket: Json) -> None:
    key = await kit.api_key("ticketing:read")
    assert await sees(kit, ticket, {"Authorization": f"Bearer {key}"})


async def test_nobody_reads_without_credentials(kit: Kit, ticket: Json) -> None:
    response = await kit.client.get(f"{TICKETS}/{ticket['reference']}")
    assert response.status_code == 401, response.text
