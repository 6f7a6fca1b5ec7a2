"""`POST /api/imaging/hosts`: a host registered, named and announced; bad input refused
naming its field, with nothing written."""

from __future__ import annotations

import secrets
from typing import Any

import pytest

from ..naming.conftest import HOSTS, Fleet, new_tag

pytestmark = pytest.mark.integration


async def _nothing_written(kit: Any, asset_tag: str) -> None:
    count = await kit.scalar(
        "SELECT count(*) FROM imaging.host WHERE asset_tag = upper(:tag)", tag=asset_tag
    )
    assert count == 0
    assert await kit.events(asset_tag.upper()) == []


async def test_a_host_is_registered_named_and_published(fleet: Fleet, kit: Any) -> None:
    site = await fleet.site()
    room = await fleet.room(site, "B104")
    await fleet.group(site, "CHARIOT-1")
    tag = new_tag()
    body = {
        "site_code": site["code"].lower(),
        "room_code": "b104",
        "asset_tag": tag.lower(),
        "macs": ["00-1a-2b-3c-4d-5e", "001a.2b3c.4d5f"],
        "serial": " pf3xk2l9 ",
        "make": "Lenovo",
        "model": "ThinkPad L14",
        "kind": "laptop",
        "network": "admin",
        "groups": ["chariot-1"],
        "purchase_date": "2024-09-02",
        "warranty_end": "2029-09-01",
        "status": "stored",
    }
    created = await fleet.post_host(body)
    assert created.status_code == 201, created.text
    assert created.headers["ETag"] == '"1"'
    host = created.json()
    expected = {
        "asset_tag": tag,
        "hostname": f"{site['hostname_prefix']}-APO-001",
        "site_code": site["code"],
        "room_code": room["code"],
        "kind": "laptop",
        "kind_label": "Portable",
        "network": "admin",
        "network_label": "Administratif",
        "status": "stored",
        "status_label": "En stock",
        "serial": "PF3XK2L9",
        "make": "Lenovo",
        "model": "ThinkPad L14",
        "macs": ["00:1A:2B:3C:4D:5E", "00:1A:2B:3C:4D:5F"],
        "groups": ["CHARIOT-1"],
        "purchase_date": "2024-09-02",
        "warranty_end": "2029-09-01",
        "retired_at": None,
    }
    assert {k: host[k] for k in expected} == expected

    read = await fleet.get(f"{HOSTS}/{tag.lower()}", headers=kit.technician)
    assert read.status_code == 200, read.text
    assert read.json() == host
    assert read.headers["ETag"] == '"1"'

    [event] = await kit.events(tag)
    assert event["type"] == "imaging.host.registered.v1"
    data = event["data"]
    assert data["host_id"] == host["id"]
    assert data["version"] == 1
    assert {k: data[k] for k in expected if k in data} == {
        k: v for k, v in expected.items() if k in data
    }
    assert set(expected) - set(data) == {"groups", "retired_at"}


async def test_the_minimal_body_is_a_desktop_in_service(fleet: Fleet) -> None:
    site = await fleet.site()
    tag = new_tag()
    created = await fleet.post_host(
        {"site_code": site["code"], "asset_tag": tag, "network": "pedagogy"}
    )
    assert created.status_code == 201, created.text
    host = created.json()
    assert (host["kind"], host["kind_label"]) == ("desktop", "Poste fixe")
    assert (host["status"], host["status_label"]) == ("in_service", "En service")
    assert (host["network_label"], host["room_code"], host["macs"]) == ("Pédagogique", None, [])
    assert host["hostname"] == f"{site['hostname_prefix']}-PPC-001"


async def test_a_given_name_is_kept_folded_if_no_host_holds_it(fleet: Fleet, kit: Any) -> None:
    site, other = await fleet.site(), await fleet.site()
    name = f"Chécy-{secrets.token_hex(3)}"
    first = await fleet.host(site, hostname=name)
    assert first["hostname"] == name.upper().replace("É", "E")

    body = fleet.host_body(other, hostname=name.lower())
    taken = await fleet.post_host(body)
    assert taken.status_code == 409, taken.text
    problem = taken.json()
    assert problem["type"] == "urn:guichet:problem:hostname-taken"
    assert problem["field"] == "hostname"
    assert problem["hostname"] == first["hostname"]
    assert problem["held_by"] == {"asset_tag": first["asset_tag"], "site_code": site["code"]}
    assert f"held by host {first['asset_tag']} (site {site['code']})" in problem["detail"]
    await _nothing_written(kit, body["asset_tag"])


@pytest.mark.parametrize(
    ("hostname", "message"),
    [
        ("SAINT-JEAN-DE-BRAYE", "at most 15 characters"),
        ("PC 01", "letters A-Z, digits and hyphens only"),
        ("PC.LAN", "letters A-Z, digits and hyphens only"),
        ("123456", "must not be digits only"),
        ("-PC01", "must not start or end with a hyphen"),
        ("PC01-", "must not start or end with a hyphen"),
        ("", "at least 1"),
    ],
)
async def test_an_invalid_name_is_a_422_on_hostname(
    fleet: Fleet, kit: Any, hostname: str, message: str
) -> None:
    site = await fleet.site()
    body = fleet.host_body(site, hostname=hostname)
    refused = await fleet.post_host(body)
    assert refused.status_code == 422, refused.text
    [error] = refused.json()["errors"]
    assert error["field"] == "hostname"
    assert message in error["message"]
    await _nothing_written(kit, body["asset_tag"])


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"macs": ["00:1A:2B:3C:4D:5E", "00:1A:2B:3C:4D"]}, "macs.1", "12 hexadecimal digits"),
        ({"macs": ["FF:FF:FF:FF:FF:FF"]}, "macs.0", "not a device's address"),
        ({"asset_tag": "GPI 0042"}, "asset_tag", "letters, digits, hyphens"),
        ({"asset_tag": "GPI/0042"}, "asset_tag", "letters, digits, hyphens"),
        ({"asset_tag": "GPI-000000042"}, "asset_tag", "at most 12"),
        ({"status": "retired"}, "hostname", "registered as retired needs the hostname it had"),
        ({"kind": "fridge"}, "kind", "Input should be"),
        ({"network": None}, "network", "Input should be"),
        ({"purchase_date": "2025-01-10", "warranty_end": "2024-01-10"}, "warranty_end", "before"),
        ({"serial": "SN\x00"}, "serial", "NUL"),
        ({"serial": "ß" * 60}, "serial", "at most 100 characters in upper case"),
        ({"colour": "blue"}, "colour", "Extra inputs"),
    ],
)
async def test_bad_input_is_a_422_naming_the_field(
    fleet: Fleet, kit: Any, overrides: dict[str, Any], field: str, message: str
) -> None:
    site = await fleet.site()
    body = fleet.host_body(site, **overrides)
    refused = await fleet.post_host(body)
    assert refused.status_code == 422, refused.text
    problem = refused.json()
    assert [e["field"] for e in problem["errors"]] == [field]
    assert message in problem["errors"][0]["message"]
    assert field in problem["detail"]
    await _nothing_written(kit, body["asset_tag"])


async def test_what_the_host_refers_to_must_exist_422_naming_it(fleet: Fleet, kit: Any) -> None:
    """An unknown site is a 422 on `site_code` (it is a field of the body, not the
    resource addressed), like an unknown room or group."""
    site = await fleet.site()
    await fleet.group(site, "LABO")
    other = await fleet.site()
    await fleet.room(other, "C201")
    cases: list[tuple[dict[str, Any], str, str]] = [
        ({"site_code": "NOWHERE-404"}, "site_code", "no site NOWHERE-404"),
        ({"room_code": "C201"}, "room_code", f"no room C201 at site {site['code']}"),
        ({"groups": ["LABO", "chariot-9"]}, "groups.1", "no host group CHARIOT-9 at site"),
    ]
    for overrides, field, message in cases:
        body = fleet.host_body(site, **overrides)
        refused = await fleet.post_host(body, headers=kit.supervisor)
        assert refused.status_code == 422, refused.text
        assert refused.json()["errors"] == [
            {"field": field, "message": refused.json()["errors"][0]["message"]}
        ]
        assert refused.json()["errors"][0]["message"].startswith(message)
        await _nothing_written(kit, body["asset_tag"])


async def test_an_asset_tag_is_unique_whatever_its_case(fleet: Fleet, kit: Any) -> None:
    site, other = await fleet.site(), await fleet.site()
    first = await fleet.host(site)
    twin = await fleet.post_host(fleet.host_body(other, asset_tag=first["asset_tag"].lower()))
    assert twin.status_code == 409, twin.text
    problem = twin.json()
    assert problem["type"] == "urn:guichet:problem:already-exists"
    assert problem["field"] == "asset_tag"
    assert problem["held_by"] == {"hostname": first["hostname"], "site_code": site["code"]}
    assert [e["type"] for e in await kit.events(first["asset_tag"])] == [
        "imaging.host.registered.v1"
    ]
    # The name the twin would have had was not consumed.
    assert (await fleet.host(other))["hostname"] == f"{other['hostname_prefix']}-PPC-001"


async def test_a_mac_may_be_on_several_hosts(fleet: Fleet) -> None:
    site = await fleet.site()
    dock = "02:00:00:AB:CD:EF"
    first = await fleet.host(site, macs=[dock, "02:00:00:00:00:01", dock.lower()])
    second = await fleet.host(site, macs=[dock.replace(":", "-")])
    assert first["macs"] == ["02:00:00:00:00:01", dock]
    assert second["macs"] == [dock]


async def test_a_host_of_a_site_the_caller_does_not_cover_is_refused(
    fleet: Fleet, kit: Any
) -> None:
    site, other = await fleet.site(), await fleet.site()
    limited = kit.token("technician", sites=[site["code"]])
    mine = await fleet.post_host(fleet.host_body(site), headers=limited)
    assert mine.status_code == 201, mine.text
    body = fleet.host_body(other)
    theirs = await fleet.post_host(body, headers=limited)
    assert theirs.status_code == 403, theirs.text
    await _nothing_written(kit, body["asset_tag"])
    elsewhere = await fleet.host(other)
    for url in ("", "/rename", "/retire"):
        write = await kit.client.request(
            "PATCH" if not url else "POST",
            f"{HOSTS}/{elsewhere['asset_tag']}{url}",
            json={},
            headers={**limited, "If-Match": '"1"'},
        )
        assert write.status_code == 403, write.text
    assert len(await kit.events(elsewhere["asset_tag"])) == 1
    assert (
        await fleet.get(f"{HOSTS}/{elsewhere['asset_tag']}", headers=limited)
    ).status_code == 403
    assert (
        await fleet.get(f"{HOSTS}/{mine.json()['asset_tag']}", headers=limited)
    ).status_code == 200


async def test_a_retried_create_returns_the_first_answer(fleet: Fleet, kit: Any) -> None:
    site = await fleet.site()
    body = fleet.host_body(site)
    first = await fleet.post_host(body, {**kit.technician, "Idempotency-Key": "host-1"})
    again = await fleet.post_host(body, {**kit.technician, "Idempotency-Key": "host-1"})
    assert first.status_code == again.status_code == 201
    assert again.headers["Idempotent-Replayed"] == "true"
    assert again.json() == first.json()
    assert again.headers["ETag"] == first.headers["ETag"]
    assert len(await kit.events(body["asset_tag"])) == 1
    other = await fleet.post_host(
        fleet.host_body(site), {**kit.technician, "Idempotency-Key": "host-1"}
    )
    assert other.status_code == 422, other.text
    assert (await fleet.host(site))["hostname"] == f"{site['hostname_prefix']}-PPC-002"


async def test_a_host_of_the_past_is_registered_retired_with_its_last_name(
    fleet: Fleet, kit: Any
) -> None:
    """An import of the park brings retired hosts too: each keeps the name it had, in
    quarantine from now when no other host holds it, left to its holder otherwise."""
    site = await fleet.site()
    live = await fleet.host(site)
    free_name = f"OLD-{secrets.token_hex(4).upper()}"
    old = await fleet.host(site, status="retired", hostname=free_name.lower())
    assert (old["status"], old["hostname"]) == ("retired", free_name)
    assert old["retired_at"] is not None
    taken = await fleet.post_host(fleet.host_body(site, hostname=free_name))
    assert taken.status_code == 409, taken.text
    assert taken.json()["last_held_by"] == {
        "asset_tag": old["asset_tag"],
        "site_code": site["code"],
    }

    older = await fleet.host(site, status="retired", hostname=live["hostname"])
    assert older["hostname"] == live["hostname"]
    holder = await kit.scalar(
        "SELECT h.asset_tag FROM imaging.hostname r JOIN imaging.host h ON h.id = r.host_id "
        "WHERE r.name = :name AND r.released_at IS NULL",
        name=live["hostname"],
    )
    assert holder == live["asset_tag"]
    [event] = await kit.events(older["asset_tag"])
    assert (event["type"], event["data"]["status"]) == ("imaging.host.registered.v1", "retired")


async def test_an_unknown_host_is_a_404(fleet: Fleet) -> None:
    missing = await fleet.get(f"{HOSTS}/GPI-NOPE")
    assert missing.status_code == 404, missing.text
    assert missing.json()["type"] == "urn:guichet:problem:not-found"
