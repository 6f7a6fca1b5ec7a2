"""What other packages call in `imaging.hosts` (the inventory's matching and changes, the
CSV import, the republish command), on a transaction rolled back after each test."""

from __future__ import annotations

import asyncio
import math
from datetime import UTC, datetime

import pytest
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from imaging.errors import AlreadyExists
from imaging.events import HostEvent
from imaging.hosts import repository, service
from imaging.hosts.schemas import HostIn
from imaging.settings import ImagingSettings

from ..conftest import outbox, statements_of
from ..naming.conftest import Fleet, new_tag

pytestmark = pytest.mark.integration


async def test_hosts_are_matched_by_asset_tag_serial_and_mac(
    fleet: Fleet, db_session: AsyncSession
) -> None:
    site = await fleet.site()
    dock = "02:00:5E:10:00:01"
    first = await fleet.host(site, serial="SN-MATCH-1", macs=[dock])
    second = await fleet.host(site, serial="sn-match-1", macs=[dock, "02:00:5E:10:00:02"])
    retired = await fleet.host(site, serial="SN-MATCH-1")
    path = f"/api/imaging/hosts/{retired['asset_tag']}/retire"
    assert (await fleet.write("POST", path, '"1"')).status_code == 200

    found = await repository.find_by_asset_tag(db_session, f" {first['asset_tag'].lower()} ")
    assert found is not None and found.hostname == first["hostname"]
    assert await repository.find_by_asset_tag(db_session, "GPI-NOWHERE") is None

    by_serial = await repository.find_by_serial(db_session, "  sn-match-1 ")
    # In service first (the newest first), the retired one last.
    assert [h.asset_tag for h in by_serial] == [
        second["asset_tag"],
        first["asset_tag"],
        retired["asset_tag"],
    ]
    assert await repository.find_by_serial(db_session, "   ") == []

    by_mac = await repository.find_by_macs(db_session, ["02-00-5e-10-00-01", "not a mac"])
    assert list(by_mac) == [dock]
    assert [h.asset_tag for h in by_mac[dock]] == [second["asset_tag"], first["asset_tag"]]
    assert [m.mac for m in by_mac[dock][0].macs] == [dock, "02:00:5E:10:00:02"]
    assert await repository.find_by_macs(db_session, ["not a mac"]) == {}


async def test_a_change_by_another_package_is_saved_and_published(
    fleet: Fleet, db_session: AsyncSession
) -> None:
    site = await fleet.site()
    created = await fleet.host(site)
    host = await service.get_host(db_session, created["asset_tag"], for_update=True)
    host.model = "OptiPlex 7010"
    await service.save_host(db_session, host, now=datetime.now(UTC))
    await service.publish_updated(db_session, host)
    assert host.version == 2
    [registered, updated] = await outbox(db_session, created["asset_tag"])
    assert updated["type"] == "imaging.host.updated.v1"
    assert (updated["data"]["version"], updated["data"]["model"]) == (2, "OptiPlex 7010")
    assert updated["data"]["hostname"] == registered["data"]["hostname"]


async def test_event_fields_are_exactly_what_the_events_carry(
    fleet: Fleet, db_session: AsyncSession
) -> None:
    site = await fleet.site()
    created = await fleet.host(site)
    host = await service.get_host(db_session, created["asset_tag"])
    fields = service.host_event_fields(host, site["code"], None, ["02:00:00:00:00:02"])
    assert set(fields) == set(HostEvent.model_fields)
    assert fields["macs"] == ["02:00:00:00:00:02"]


async def test_register_host_is_what_the_import_calls(
    fleet: Fleet, db_session: AsyncSession, settings: ImagingSettings
) -> None:
    site = await fleet.site()
    data = HostIn.model_validate(fleet.host_body(site, hostname="IMPORTE-01"))
    host = await service.register_host(
        db_session, settings, data, actor="import", now=datetime.now(UTC)
    )
    assert (host.hostname, host.registered_by, host.site.code) == (
        "IMPORTE-01",
        "import",
        site["code"],
    )
    [registered] = await outbox(db_session, host.asset_tag)
    assert registered["type"] == "imaging.host.registered.v1"


async def test_an_asset_tag_registered_at_the_same_moment_gives_its_name_back(
    fleet: Fleet, db_session: AsyncSession, settings: ImagingSettings, engine: AsyncEngine
) -> None:
    """Another transaction writes the same asset tag between the check and the insert: a
    409 on `asset_tag`, and the name reserved meanwhile is given back, so the caller's
    transaction (an import's) goes on and commits."""
    site = await fleet.site()
    tag = new_tag()
    data = HostIn.model_validate(fleet.host_body(site, asset_tag=tag))
    async with engine.connect() as twin:
        await twin.execute(
            text(
                "INSERT INTO imaging.host (id, site_id, asset_tag, hostname, kind, network, "
                "status, registered_by) VALUES (gen_random_uuid(), :site, :tag, 'TWIN-1', "
                "'desktop', 'pedagogy', 'in_service', 'twin')"
            ),
            {"site": site["id"], "tag": tag},
        )
        registering = asyncio.create_task(
            service.register_host(db_session, settings, data, actor="t", now=datetime.now(UTC))
        )
        await asyncio.sleep(0.5)  # until it waits on the twin's row
        assert not registering.done()
        await twin.commit()
        with pytest.raises(AlreadyExists) as refused:
            await registering
    assert refused.value.extra["field"] == "asset_tag"
    assert "at the same moment" in str(refused.value.detail)
    await db_session.execute(text("SET CONSTRAINTS ALL IMMEDIATE"))  # no orphan reservation
    orphans = await db_session.scalar(
        text(
            "SELECT count(*) FROM imaging.hostname r "
            "WHERE NOT EXISTS (SELECT 1 FROM imaging.host h WHERE h.id = r.host_id)"
        )
    )
    assert orphans == 0
    await db_session.execute(text("SET CONSTRAINTS ALL DEFERRED"))  # as the register expects
    # The name it had reserved is the next host's.
    again = HostIn.model_validate(fleet.host_body(site))
    host = await service.register_host(
        db_session, settings, again, actor="t", now=datetime.now(UTC)
    )
    assert host.hostname == f"{site['hostname_prefix']}-PPC-001"


async def test_two_hosts_cannot_hold_one_name_even_behind_the_services_back(
    fleet: Fleet, db_session: AsyncSession
) -> None:
    """The constraints, not only the code: one register row per name (case folded by its
    CHECK), and one name per host in service."""
    site = await fleet.site()
    first, second = await fleet.host(site), await fleet.host(site)
    with pytest.raises(IntegrityError, match="pk_hostname"):
        async with db_session.begin_nested():
            await db_session.execute(
                text(
                    "INSERT INTO imaging.hostname (name, host_id, reserved_at) "
                    "VALUES (:name, :host, now())"
                ),
                {"name": first["hostname"], "host": second["id"]},
            )
    with pytest.raises(IntegrityError, match="ck_hostname_netbios"):
        async with db_session.begin_nested():
            await db_session.execute(
                text("UPDATE imaging.hostname SET name = lower(name) WHERE host_id = :host"),
                {"host": first["id"]},
            )
    with pytest.raises(IntegrityError, match="uq_host_hostname_live"):
        async with db_session.begin_nested():
            await db_session.execute(
                text("UPDATE imaging.host SET hostname = :name WHERE id = :host"),
                {"name": first["hostname"], "host": second["id"]},
            )
    with pytest.raises(IntegrityError, match="ck_host_hostname_netbios"):
        async with db_session.begin_nested():
            await db_session.execute(
                text("UPDATE imaging.host SET hostname = lower(hostname) WHERE id = :host"),
                {"host": second["id"]},
            )
    with pytest.raises(IntegrityError, match="uq_hostname_held_by_host"):
        async with db_session.begin_nested():
            await db_session.execute(
                text(
                    "INSERT INTO imaging.hostname (name, host_id, reserved_at) "
                    "VALUES ('SECOND-NAME-1', :host, now())"
                ),
                {"host": second["id"]},
            )


async def test_republish_sends_every_host_in_a_few_statements(
    fleet: Fleet, db_session: AsyncSession
) -> None:
    site = await fleet.site()
    created = await fleet.host(site, macs=["02:00:00:00:0A:01", "02:00:00:00:0A:02"])
    changed = await fleet.write(
        "PATCH", f"/api/imaging/hosts/{created['asset_tag']}", '"1"', json={"make": "HP"}
    )
    assert changed.status_code == 200, changed.text
    park_size = await db_session.scalar(text("SELECT count(*) FROM imaging.host"))
    assert park_size is not None

    async with statements_of(db_session) as sent:
        first = await service.republish(db_session)
    second = await service.republish(db_session)

    assert first == second == park_size
    # Per batch of 500 hosts: their rows, their MACs, one insert; then the empty batch.
    batches = math.ceil(park_size / service.REPUBLISH_BATCH)
    assert [s.split()[0] for s in sent] == ["SELECT", "SELECT", "INSERT"] * batches + ["SELECT"]
    republished = (await outbox(db_session, created["asset_tag"]))[2:]
    assert [(e["type"], e["data"]["version"]) for e in republished] == [
        ("imaging.host.updated.v1", 2)
    ] * 2
    assert republished[0]["data"]["macs"] == ["02:00:00:00:0A:01", "02:00:00:00:0A:02"]
    assert republished[0]["data"] == republished[1]["data"]
