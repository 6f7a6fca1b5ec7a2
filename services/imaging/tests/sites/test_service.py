"""What other packages call in `imaging.sites.service` (the CSV import, the hosts, the
republish command), on a transaction rolled back after each test."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from guichet_common.http import NotFound
from imaging.errors import AlreadyExists
from imaging.events import RoomEvent, SiteEvent
from imaging.sites import service
from imaging.sites.schemas import RoomIn, SiteIn

from ..conftest import outbox, statements_of
from .conftest import SITES, Park, new_code

pytestmark = pytest.mark.integration


async def test_the_import_registers_sites_and_rooms_with_their_events(
    db_session: AsyncSession,
) -> None:
    code = new_code()
    site = await service.register_site(
        db_session, SiteIn.model_validate({"code": code, "name": "X", "zone": "C"}), actor="csv"
    )
    room = await service.register_room(
        db_session, site, RoomIn.model_validate({"code": "a1", "name": "A1"})
    )

    assert (site.version, room.version, room.code) == (1, 1, "A1")
    assert await service.get_site(db_session, code.lower()) is site
    assert await service.get_room(db_session, site, "a1") is room
    events = await outbox(db_session, code)
    assert [e["type"] for e in events] == [
        "imaging.site.registered.v1",
        "imaging.room.registered.v1",
    ]
    assert events[0]["data"]["hostname_prefix"] == code.replace("-", "")[:6]

    with pytest.raises(AlreadyExists) as twin:
        await service.register_site(
            db_session, SiteIn.model_validate({"code": code, "name": "Y", "zone": "C"}), actor="x"
        )
    assert twin.value.extra["field"] == "code"
    # The savepoint kept the transaction usable: the import goes on with the next row.
    assert (await service.get_site(db_session, code)).name == "X"


async def test_event_fields_are_exactly_what_the_events_carry(db_session: AsyncSession) -> None:
    site = await service.register_site(
        db_session, SiteIn.model_validate({"code": new_code(), "name": "X", "zone": "A"}), actor="t"
    )
    room = await service.register_room(
        db_session, site, RoomIn.model_validate({"code": "R1", "name": "R1"})
    )
    assert set(service.site_event_fields(site)) == set(SiteEvent.model_fields)
    assert set(service.room_event_fields(site, room)) == set(RoomEvent.model_fields)


async def test_lookups_are_404s_for_unknown_or_removed_rows(
    park: Park, db_session: AsyncSession
) -> None:
    created = await park.create_site()
    rooms = f"{SITES}/{created['code']}/rooms"
    await park.create(rooms, {"code": "GONE", "name": "Partie"})
    assert (await park.write("DELETE", f"{rooms}/GONE", '"1"')).status_code == 204

    with pytest.raises(NotFound, match="no site NOWHERE-1"):
        await service.get_site(db_session, "NOWHERE-1")
    site = await service.get_site(db_session, created["code"])
    with pytest.raises(NotFound, match=f"no room GONE at site {created['code']}"):
        await service.get_room(db_session, site, "GONE")
    with pytest.raises(NotFound, match="no host group G at site"):
        await service.get_group(db_session, site, "G")


async def test_republish_sends_the_park_as_it_is_with_the_same_versions_each_time(
    park: Park, kit: Any, db_session: AsyncSession
) -> None:
    site = await park.create_site()
    code = site["code"]
    assert (await park.write("PATCH", f"{SITES}/{code}", '"1"', json={"zone": "A"})).is_success
    rooms = f"{SITES}/{code}/rooms"
    live = await park.create(rooms, {"code": "A1", "name": "A1"})
    await park.create(rooms, {"code": "B2", "name": "B2"})
    assert (await park.write("PATCH", f"{rooms}/A1", '"1"', json={"name": "Salle A1"})).is_success
    assert (await park.write("DELETE", f"{rooms}/B2", '"1"')).status_code == 204
    published_before = len(await outbox(db_session, code))
    park_size = await db_session.scalar(
        text(
            "SELECT (SELECT count(*) FROM imaging.site)"
            " + (SELECT count(*) FROM imaging.room WHERE removed_at IS NULL)"
        )
    )

    async with statements_of(db_session) as sent:
        first = await service.republish(db_session)
    second = await service.republish(db_session)

    assert first == second == park_size
    # Set-based: one read of the sites, one of the rooms, one insert, whatever their number.
    assert [s.split()[0] for s in sent] == ["SELECT", "SELECT", "INSERT"]
    republished = (await outbox(db_session, code))[published_before:]
    assert [(e["type"], e["data"]["version"]) for e in republished] == [
        ("imaging.site.updated.v1", 2),
        ("imaging.room.updated.v1", 2),
    ] * 2
    assert republished[0]["data"] == republished[2]["data"]
    assert republished[1]["data"] == republished[3]["data"]
    assert republished[0]["data"]["zone"] == "A"
    assert republished[1]["data"]["room_id"] == live["id"]
    assert republished[1]["data"]["name"] == "Salle A1"
    assert republished[0]["id"] != republished[2]["id"]  # each a new event
    # The API's own events are untouched, and nothing is committed here.
    assert len(await kit.events(code)) == published_before
