"""A host changed, renamed and retired: each write needs the ETag it read, each is
announced, and a name let go rests in quarantine."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import pytest

from ..naming.conftest import HOSTS, Fleet

pytestmark = pytest.mark.integration


async def test_a_change_needs_the_etag_and_keeps_the_name(fleet: Fleet, kit: Any) -> None:
    site = await fleet.site()
    await fleet.room(site, "B104")
    await fleet.group(site, "LABO")
    host = await fleet.host(site, macs=["02:00:00:00:00:01"])
    path = f"{HOSTS}/{host['asset_tag']}"
    change = {
        "room_code": "b104",
        "groups": ["labo"],
        "macs": ["02-00-00-00-00-02", "02:00:00:00:00:01"],
        "kind": "laptop",
        "network": "admin",
        "status": "in_repair",
        "make": "Dell",
        "serial": "abc123",
        "purchase_date": "2023-01-02",
        "warranty_end": "2026-01-01",
    }
    etag = await fleet.refused_without_the_etag("PATCH", path, host["asset_tag"], json=change)
    changed = await fleet.write("PATCH", path, etag, json=change)
    assert changed.status_code == 200, changed.text
    assert changed.headers["ETag"] == '"2"'
    after = changed.json()
    # A new kind and network do not rename: the host keeps the name it has on the domain.
    assert after["hostname"] == host["hostname"]
    assert (after["room_code"], after["groups"], after["serial"]) == ("B104", ["LABO"], "ABC123")
    assert after["macs"] == ["02:00:00:00:00:01", "02:00:00:00:00:02"]
    assert (after["kind_label"], after["network_label"], after["status_label"]) == (
        "Portable",
        "Administratif",
        "En réparation",
    )
    assert (await fleet.get(path)).json() == after

    events = await kit.events(host["asset_tag"])
    assert [e["type"] for e in events] == [
        "imaging.host.registered.v1",
        "imaging.host.updated.v1",
    ]
    updated = events[-1]["data"]
    assert (updated["version"], updated["room_code"], updated["kind"]) == (2, "B104", "laptop")
    assert updated["macs"] == after["macs"]

    # Only the MACs change: still a new version (the ETag covers them) and an event.
    macs_only = await fleet.write("PATCH", path, '"2"', json={"macs": []})
    assert macs_only.status_code == 200, macs_only.text
    assert (macs_only.headers["ETag"], macs_only.json()["macs"]) == ('"3"', [])
    # Out of its room, out of its group; nothing changed is nothing written.
    cleared = await fleet.write("PATCH", path, '"3"', json={"room_code": None, "groups": []})
    assert (cleared.json()["room_code"], cleared.json()["groups"]) == (None, [])
    same = await fleet.write("PATCH", path, '"4"', json={"make": "Dell", "room_code": None})
    assert same.status_code == 200, same.text
    assert same.headers["ETag"] == '"4"'
    assert len(await kit.events(host["asset_tag"])) == 4


@pytest.mark.parametrize(
    ("change", "field", "message"),
    [
        ({"status": "retired"}, "status", "retire a host with POST"),
        ({"room_code": "Z999"}, "room_code", "no room Z999"),
        ({"groups": ["NOPE"]}, "groups.0", "no host group NOPE"),
        ({"macs": ["nope"]}, "macs.0", "12 hexadecimal digits"),
        ({"warranty_end": "2000-01-01"}, "warranty_end", "must not be before purchase_date"),
        ({"kind": None}, "kind", "cannot be null"),
        ({"hostname": "NEWNAME"}, "hostname", "Extra inputs"),
    ],
)
async def test_a_refused_change_names_its_field_and_changes_nothing(
    fleet: Fleet, kit: Any, change: dict[str, Any], field: str, message: str
) -> None:
    site = await fleet.site()
    host = await fleet.host(site, purchase_date="2024-01-01")
    path = f"{HOSTS}/{host['asset_tag']}"
    refused = await fleet.write("PATCH", path, '"1"', json=change)
    assert refused.status_code == 422, refused.text
    [error] = refused.json()["errors"]
    assert error["field"] == field
    assert message in error["message"]
    assert (await fleet.get(path)).json() == host
    assert len(await kit.events(host["asset_tag"])) == 1


async def test_a_rename_quarantines_the_old_name(fleet: Fleet, kit: Any) -> None:
    site = await fleet.site()
    prefix = site["hostname_prefix"]
    host = await fleet.host(site)
    holder = await fleet.host(site)
    path = f"{HOSTS}/{host['asset_tag']}"
    old = host["hostname"]
    assert old == f"{prefix}-PPC-001"

    new = f"{prefix}-LAB-1"
    body = {"hostname": new.lower()}
    etag = await fleet.refused_without_the_etag(
        "POST", f"{path}/rename", host["asset_tag"], json=body
    )
    renamed = await fleet.write("POST", f"{path}/rename", etag, json=body)
    assert renamed.status_code == 200, renamed.text
    assert renamed.json()["hostname"] == new
    assert renamed.headers["ETag"] == '"2"'
    event = (await kit.events(host["asset_tag"]))[-1]
    assert event["type"] == "imaging.host.renamed.v1"
    assert (event["data"]["hostname"], event["data"]["previous_hostname"]) == (new, old)
    assert event["data"]["version"] == 2

    # The old name rests: neither the policy nor a person may give it to another host.
    assert (await fleet.host(site))["hostname"] == f"{prefix}-PPC-003"
    body = fleet.host_body(site, hostname=old)
    refused = await fleet.post_host(body)
    assert refused.status_code == 409, refused.text
    problem = refused.json()
    assert problem["type"] == "urn:guichet:problem:hostname-taken"
    assert problem["last_held_by"] == {"asset_tag": host["asset_tag"], "site_code": site["code"]}
    free_from = datetime.fromisoformat(problem["free_from"])
    renamed_at = datetime.fromisoformat(renamed.json()["updated_at"])
    assert abs(free_from - renamed_at - timedelta(days=90)) < timedelta(seconds=5)
    assert "in quarantine until" in problem["detail"]

    # A name another host holds is refused naming it; the host's own name is no rename.
    taken = await fleet.write(
        "POST", f"{path}/rename", '"2"', json={"hostname": holder["hostname"]}
    )
    assert taken.status_code == 409, taken.text
    assert taken.json()["held_by"] == {"asset_tag": holder["asset_tag"], "site_code": site["code"]}
    same = await fleet.write("POST", f"{path}/rename", '"2"', json={"hostname": new})
    assert same.status_code == 422, same.text
    assert same.json()["errors"][0]["field"] == "hostname"
    assert (await fleet.get(path)).json()["hostname"] == new
    # The host may take its own old name back: the domain account was its own.
    back = await fleet.write("POST", f"{path}/rename", '"2"', json={"hostname": old})
    assert back.status_code == 200, back.text
    assert back.json()["hostname"] == old


async def test_an_empty_rename_takes_the_next_name_of_the_policy(fleet: Fleet, kit: Any) -> None:
    site = await fleet.site()
    prefix = site["hostname_prefix"]
    host = await fleet.host(site, kind="laptop")
    path = f"{HOSTS}/{host['asset_tag']}"
    # Now a desktop of the admin network, still named as a pedagogy laptop.
    changed = await fleet.write("PATCH", path, '"1"', json={"kind": "desktop", "network": "admin"})
    assert changed.json()["hostname"] == f"{prefix}-PPO-001"
    renamed = await fleet.write("POST", f"{path}/rename", '"2"', json={})
    assert renamed.status_code == 200, renamed.text
    assert renamed.json()["hostname"] == f"{prefix}-APC-001"
    again = await fleet.write("POST", f"{path}/rename", '"3"', json={})
    # Its last name rests in quarantine: the next free one.
    assert again.json()["hostname"] == f"{prefix}-APC-002"
    previous = [e["data"]["previous_hostname"] for e in (await kit.events(host["asset_tag"]))[2:]]
    assert previous == [f"{prefix}-PPO-001", f"{prefix}-APC-001"]


async def test_a_retired_host_keeps_its_name_reserved(fleet: Fleet, kit: Any) -> None:
    site = await fleet.site()
    host = await fleet.host(site)
    path = f"{HOSTS}/{host['asset_tag']}"
    etag = await fleet.refused_without_the_etag("POST", f"{path}/retire", host["asset_tag"])
    retired = await fleet.write("POST", f"{path}/retire", etag)
    assert retired.status_code == 200, retired.text
    body = retired.json()
    assert (body["status"], body["status_label"], body["hostname"]) == (
        "retired",
        "Réformé",
        host["hostname"],
    )
    free_from = datetime.fromisoformat(body["name_free_from"])
    assert free_from - datetime.fromisoformat(body["retired_at"]) == timedelta(days=90)
    event = (await kit.events(host["asset_tag"]))[-1]
    assert event["type"] == "imaging.host.retired.v1"
    assert datetime.fromisoformat(event["data"]["name_free_from"]) == free_from
    assert (event["data"]["status"], event["data"]["version"]) == ("retired", 2)

    taken = await fleet.post_host(fleet.host_body(site, hostname=host["hostname"]))
    assert taken.status_code == 409, taken.text
    assert datetime.fromisoformat(taken.json()["free_from"]) == free_from

    # Retired is for good: no change, no rename, no second retirement.
    for method, url, json in (
        ("PATCH", path, {"status": "in_service"}),
        ("POST", f"{path}/rename", {}),
        ("POST", f"{path}/retire", None),
    ):
        refused = await fleet.write(method, url, '"2"', json=json)
        assert refused.status_code == 409, refused.text
        assert "retired" in refused.json()["detail"]
    assert len(await kit.events(host["asset_tag"])) == 2


async def test_retired_hosts_names_come_back_without_quarantine(
    make_client: Any, fleet: Fleet
) -> None:
    site = await fleet.site()
    host = await fleet.host(site)
    async with make_client(hostname_quarantine_days=0) as client:
        supervisor = fleet.kit.supervisor
        path = f"{HOSTS}/{host['asset_tag']}"
        retired = await client.post(f"{path}/retire", headers={**supervisor, "If-Match": '"1"'})
        assert retired.status_code == 200, retired.text
        assert retired.json()["name_free_from"] == retired.json()["retired_at"]
        again = await client.post(
            HOSTS, json=fleet.host_body(site, hostname=host["hostname"]), headers=supervisor
        )
        assert again.status_code == 201, again.text
        assert again.json()["hostname"] == host["hostname"]
    # The retired host still shows the name it had; two hosts in service never share one.
    assert (await fleet.get(f"{HOSTS}/{host['asset_tag']}")).json()["hostname"] == host["hostname"]
