"""Who sees which tickets, in the list, the search and the export alike: staff every ticket
of the sites they cover (all without a `sites` claim), an API key those of its sites, a
requester the tickets they opened or that name them by e-mail and, with a `sites` claim,
every ticket of those sites."""

from __future__ import annotations

import secrets
from dataclasses import dataclass

import pytest

from ..conftest import Kit
from .conftest import exported, references

pytestmark = pytest.mark.integration


@dataclass
class World:
    """Two sites of their own, a requester, and tickets each of them sees or not."""

    site_a: str
    site_b: str
    sub: str
    email: str
    tickets: dict[str, str]  # name -> reference

    def named(self, *names: str) -> set[str]:
        return {self.tickets[name] for name in names}


@pytest.fixture
async def world(kit: Kit) -> World:
    site_a, site_b = await kit.site(), await kit.site()
    sub = f"req-{secrets.token_hex(4)}"
    email = f"{sub}@ac-orleans-tours.fr"
    someone = {"name": "M. Paul Durand", "email": "paul.durand@ac-orleans-tours.fr"}
    title = "Le tournevis électrique du labo est introuvable"
    tickets = {
        "in_a": await kit.create_ticket(site_a, title=title, requester=someone),
        "in_b": await kit.create_ticket(site_b, title=title, requester=someone),
        "opened_in_b": await kit.create_ticket(
            site_b,
            kit.token("requester", sub=sub, email=email),
            title=title,
            requester={"name": "Mme Lea Petit", "phone": "02 38 11 22 33"},
        ),
        # Their address as the helpdesk typed it: the case does not matter.
        "requested_in_b": await kit.create_ticket(
            site_b, title=title, requester={"name": "Mme Lea Petit", "email": email.upper()}
        ),
        "affecting_in_b": await kit.create_ticket(
            site_b,
            title=title,
            requester=someone,
            affected_user={"name": "Mme Lea Petit", "email": email},
        ),
    }
    return World(site_a, site_b, sub, email, {k: t["reference"] for k, t in tickets.items()})


async def seen(kit: Kit, world: World, headers: dict[str, str]) -> set[str]:
    """What `headers` sees of the world, checked alike in the list, a search and the export."""
    sites = [world.site_a, world.site_b]
    listed = await references(kit, headers, site_code=sites)
    searched = await references(kit, headers, site_code=sites, q="tournevis")
    exports = await exported(kit, headers, site_code=sites)
    assert set(listed) == set(searched) == set(exports)
    assert len(listed) == len(set(listed)) == len(exports)
    return set(listed)


async def test_a_technician_without_sites_sees_every_ticket(kit: Kit, world: World) -> None:
    assert await seen(kit, world, kit.technician) == set(world.tickets.values())


async def test_a_technician_with_sites_sees_only_theirs(kit: Kit, world: World) -> None:
    covering_a = kit.token("technician", sites=[world.site_a.lower()])
    assert await seen(kit, world, covering_a) == world.named("in_a")


async def test_a_supervisor_with_sites_sees_only_theirs(kit: Kit, world: World) -> None:
    covering_b = kit.token("supervisor", sub="super2", sites=[world.site_b])
    assert await seen(kit, world, covering_b) == set(world.tickets.values()) - world.named("in_a")


async def test_a_requester_without_sites_sees_what_they_opened_or_names_them(
    kit: Kit, world: World
) -> None:
    requester = kit.requester(sub=world.sub, email=world.email)
    mine = world.named("opened_in_b", "requested_in_b", "affecting_in_b")
    assert await seen(kit, world, requester) == mine
    # Theirs are all they see, whatever the sites.
    assert set(await references(kit, requester)) == mine
    assert set(await exported(kit, requester)) == mine


async def test_a_requester_without_an_email_sees_what_they_opened(kit: Kit, world: World) -> None:
    requester = kit.requester(sub=world.sub, email=None)
    assert await seen(kit, world, requester) == world.named("opened_in_b")


async def test_someone_else_sees_none_of_them(kit: Kit, world: World) -> None:
    stranger = kit.requester(sub=f"req-{secrets.token_hex(4)}", email="x@ac-orleans-tours.fr")
    assert await seen(kit, world, stranger) == set()


async def test_a_requester_with_sites_sees_those_sites_and_their_own(
    kit: Kit, world: World
) -> None:
    principal = kit.requester(sub=world.sub, email=world.email, sites=[world.site_a])
    assert await seen(kit, world, principal) == world.named(
        "in_a", "opened_in_b", "requested_in_b", "affecting_in_b"
    )
    # Filtered to the site they cover: all of it; to another: only their own there.
    assert set(await references(kit, principal, site_code=[world.site_a])) == world.named("in_a")
    assert set(await references(kit, principal, site_code=[world.site_b])) == world.named(
        "opened_in_b", "requested_in_b", "affecting_in_b"
    )
    # A school's contact without tickets of their own sees their site's.
    contact = kit.requester(sub=f"req-{secrets.token_hex(4)}", email=None, sites=[world.site_b])
    assert await seen(kit, world, contact) == set(world.tickets.values()) - world.named("in_a")


async def test_an_api_key_limited_to_a_site_sees_that_site(kit: Kit, world: World) -> None:
    key = await kit.api_key("ticketing:read", sites=[world.site_a])
    assert await seen(kit, world, {"Authorization": f"Bearer {key}"}) == world.named("in_a")
    everywhere = await kit.api_key("ticketing:read")
    everything = await seen(kit, world, {"Authorization": f"Bearer {everywhere}"})
    assert everything == set(world.tickets.values())
