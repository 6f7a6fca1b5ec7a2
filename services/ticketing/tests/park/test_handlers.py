"""The park's read model: built from imaging's events, each row at the highest version
seen, so a repeated, replayed (`guichet imaging republish`) or late event changes nothing."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import AsyncSession

from guichet_common.events import Envelope, Event, utcnow
from ticketing.park.handlers import park
from ticketing.park.models import ParkHost, ParkRoom, ParkSite

pytestmark = pytest.mark.integration

SITE_ID, ROOM_ID, HOST_ID = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()


def site(version: int, name: str = "Collège Pierre de Coubertin") -> dict[str, Any]:
    return {
        "site_id": str(SITE_ID),
        "site_code": "CHY-PC",
        "version": version,
        "name": name,
        "kind": "college",
        "kind_label": "Collège",
        "uai": "0451104F",
        "department": "45",
        "zone": "B",
        "address": None,
        "opening_hours": [{"weekday": 0, "ranges": [{"start": "08:00:00", "end": "12:30:00"}]}],
        "contacts": [{"name": "M. Julien Moreau", "role": "Principal"}],
        "active": True,
        "hostname_prefix": "CHYPC",
    }


def host(version: int, hostname: str, status: str = "in_service") -> dict[str, Any]:
    return {
        "host_id": str(HOST_ID),
        "site_code": "CHY-PC",
        "room_code": "ADMIN",
        "version": version,
        "asset_tag": "45040001",
        "hostname": hostname,
        "serial": "7QXR2K3",
        "macs": ["F8:B1:56:04:00:01"],
        "make": "Dell",
        "model": "OptiPlex 7090",
        "kind": "desktop",
        "kind_label": "Poste fixe",
        "network": "admin",
        "network_label": "Administratif",
        "status": status,
        "status_label": "En service",
        "purchase_date": None,
        "warranty_end": None,
    }


async def deliver(session: AsyncSession, event_type: str, data: dict[str, Any]) -> None:
    """As the consumer does: the payload validated against ticketing's model, handled."""
    model, handler = park.handlers[event_type]
    payload: Event = model.model_validate(data)
    envelope = Envelope(
        id=uuid.uuid4(), type=event_type, source="imaging", time=utcnow(), data=data
    )
    await handler(session, payload, envelope)
    await session.flush()


async def test_a_site_is_kept_at_its_highest_version(db_session: AsyncSession) -> None:
    await deliver(db_session, "imaging.site.registered.v1", site(1))
    await deliver(db_session, "imaging.site.updated.v1", site(3, "Collège P. de Coubertin"))
    await deliver(db_session, "imaging.site.updated.v1", site(2, "an older name, late"))
    for _ in range(2):  # republished twice: the same version, nothing changes
        await deliver(db_session, "imaging.site.updated.v1", site(3, "Collège P. de Coubertin"))
    [kept] = (await db_session.scalars(select(ParkSite).where(ParkSite.site_id == SITE_ID))).all()
    assert (kept.version, kept.name, kept.zone, kept.department) == (
        3,
        "Collège P. de Coubertin",
        "B",
        "45",
    )
    assert kept.opening_hours[0]["ranges"][0]["end"] == "12:30:00"


async def test_a_republished_site_fills_what_the_read_model_lacked(
    db_session: AsyncSession,
) -> None:
    """A column the read model gained after the event (the address, revision 0008) is
    filled when the same version is sent again; an older version still changes nothing."""
    await deliver(db_session, "imaging.site.registered.v1", site(1))
    address = "Avenue du Parc, 45430 Chécy"
    await deliver(db_session, "imaging.site.registered.v1", {**site(1), "address": address})
    await deliver(db_session, "imaging.site.updated.v1", {**site(0), "address": "ailleurs"})
    kept = await db_session.get(ParkSite, SITE_ID)
    assert kept is not None
    await db_session.refresh(kept)
    assert (kept.version, kept.address) == (1, address)


async def test_hosts_follow_renames_and_retirement_in_any_order(db_session: AsyncSession) -> None:
    await deliver(db_session, "imaging.host.renamed.v1", host(2, "CHYPC-45040001"))
    await deliver(db_session, "imaging.host.registered.v1", host(1, "CHYPC-APC-001"))  # late
    kept = await db_session.get(ParkHost, HOST_ID)
    assert kept is not None and kept.hostname == "CHYPC-45040001"
    await deliver(db_session, "imaging.host.retired.v1", host(3, "CHYPC-45040001", "retired"))
    await db_session.refresh(kept)
    assert (kept.status, kept.version, kept.model) == ("retired", 3, "OptiPlex 7090")


async def test_a_removed_room_is_marked_not_lost(db_session: AsyncSession) -> None:
    room = {
        "room_id": str(ROOM_ID),
        "site_code": "CHY-PC",
        "room_code": "S101",
        "version": 1,
        "name": "Salle 101",
        "kind": "classroom",
        "kind_label": "Salle de classe",
    }
    await deliver(db_session, "imaging.room.registered.v1", room)
    await deliver(db_session, "imaging.room.removed.v1", {**room, "version": 2})
    await deliver(db_session, "imaging.room.updated.v1", room)  # replayed: older
    kept = await db_session.get(ParkRoom, ROOM_ID)
    assert kept is not None and (kept.removed, kept.version) == (True, 2)
    rows = await db_session.scalar(
        text("SELECT count(*) FROM ticketing.park_room WHERE room_id = :id"), {"id": ROOM_ID}
    )
    assert rows == 1


def test_the_consumer_binds_only_the_park_events() -> None:
    spec = park.queue_spec("ticketing")
    assert spec.name == "ticketing.park"
    assert "imaging.host.inventory_reported.v1" not in spec.patterns
    assert len(spec.patterns) == 9
