"""`POST /api/imaging/hosts/inventory` as GLPI agents call it: compressed, authenticated
with the key as the HTTP Basic password once challenged, answered in their format; the
host matched by serial, MAC or asset tag (placeholders, docks and virtual interfaces left
out); a retry recorded once; what the transport and the caller may not do."""

from __future__ import annotations

import json
import zlib
from typing import Any

import pytest

from .conftest import (
    HOSTS,
    INVENTORY,
    Reporter,
    basic,
    dell,
    lenovo,
    new_mac,
    new_serial,
    new_site_code,
    new_tag,
    without_identity,
)

pytestmark = pytest.mark.integration


# --- as a real agent ---------------------------------------------------------------------------


async def test_a_glpi_agent_is_challenged_then_reports_with_the_key_as_basic_password(
    reporter: Reporter, kit: Any
) -> None:
    serial, mac = new_serial(), new_mac()
    host = await reporter.register(serial=serial, macs=[mac])
    document = dell(serial, mac)
    body = zlib.compress(json.dumps(document).encode())
    headers = {
        "Content-Type": "application/x-compress-zlib",
        "GLPI-Agent-ID": reporter.agent_id,
        "Pragma": "no-cache",
    }

    # The agent's first request goes without credentials; the challenge names the realm.
    challenged = await kit.client.post(INVENTORY, content=body, headers=headers)
    assert challenged.status_code == 401
    assert challenged.headers["content-type"] == "application/json"
    assert challenged.json()["status"] == "error"
    assert challenged.headers.get_list("www-authenticate")[0] == 'Basic realm="Guichet imaging"'
    assert challenged.headers["GLPI-Agent-ID"] == reporter.agent_id

    answer = await kit.client.post(
        INVENTORY, content=body, headers={**headers, **basic(reporter.key)}
    )
    assert answer.status_code == 200, answer.text
    assert answer.json() == {"status": "ok", "expiration": 24}
    assert answer.headers["GLPI-Agent-ID"] == reporter.agent_id

    history = await reporter.history(host["asset_tag"])
    [recorded] = history["items"]
    assert recorded["agent_id"] == reporter.agent_id
    assert recorded["device_id"] == document["deviceid"]
    assert recorded["versionclient"] == "GLPI-Agent_v1.11"
    assert (recorded["first"], recorded["changes"]) == (True, [])
    [event] = await reporter.inventory_events(host["asset_tag"])
    assert event["subject"] == host["asset_tag"]
    assert event["data"]["first"] is True and event["data"]["changes"] == []
    assert event["data"]["agent"] == "GLPI-Agent_v1.11"
    assert event["data"]["site_code"] == reporter.site
    assert event["data"]["hostname"] == host["hostname"]


async def test_what_the_host_lacks_is_filled_from_the_inventory_and_announced(
    reporter: Reporter, kit: Any
) -> None:
    serial, mac = new_serial(), new_mac()
    host = await reporter.register(macs=[mac], model="Poste du secrétariat")

    await reporter.report(dell(serial, mac))

    updated = (await kit.client.get(f"{HOSTS}/{host['asset_tag']}", headers=kit.technician)).json()
    assert updated["serial"] == serial  # matched by MAC, the serial filled in
    assert updated["make"] == "Dell Inc."
    assert updated["model"] == "Poste du secrétariat"  # what a person wrote is kept
    types = await kit.event_types(host["asset_tag"])
    assert types == [
        "imaging.host.registered.v1",
        "imaging.host.updated.v1",
        "imaging.host.inventory_reported.v1",
    ]
    updated_event = (await kit.events(host["asset_tag"]))[1]["data"]
    assert (updated_event["serial"], updated_event["version"]) == (serial, 2)


async def test_gzip_and_plain_json_are_taken_too(reporter: Reporter) -> None:
    serial, mac = new_serial(), new_mac()
    host = await reporter.register(serial=serial)
    document = dell(serial, mac)

    assert (await reporter.send(document, compression="gzip")).status_code == 200
    document["content"]["bios"]["bversion"] = "1.19.0"
    assert (await reporter.send(document, compression="none")).status_code == 200

    assert len((await reporter.history(host["asset_tag"]))["items"]) == 2


async def test_a_bearer_key_and_a_technician_may_report_too(reporter: Reporter, kit: Any) -> None:
    serial = new_serial()
    host = await reporter.register(serial=serial)
    document = dell(serial, new_mac())

    as_bearer = await reporter.send(document, headers={"Authorization": f"Bearer {reporter.key}"})
    document["content"]["bios"]["bversion"] = "1.19.0"
    by_hand = await reporter.send(document, headers=kit.technician)

    assert (as_bearer.status_code, by_hand.status_code) == (200, 200)
    assert len((await reporter.history(host["asset_tag"]))["items"]) == 2


async def test_the_agents_contact_is_answered_with_the_inventory_task(
    reporter: Reporter,
) -> None:
    contact = {
        "action": "contact",
        "deviceid": "ORL-BAR-A017-2026-10-05-08-12-44",
        "name": "GLPI-Agent",
        "version": "1.11",
        "installed-tasks": ["inventory", "netdiscovery", "deploy"],
        "enabled-tasks": ["inventory"],
        "httpd-port": "62354",
        "tag": "ORL-BAR",
    }

    answer = await reporter.send(contact)

    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert (body["status"], body["expiration"]) == ("ok", 24)
    assert body["tasks"]["inventory"]["server"] == "glpi"
    assert "inventory" not in body["disabled"] and "deploy" in body["disabled"]


# --- matching ----------------------------------------------------------------------------------


async def test_the_host_is_found_by_its_system_serial_then_its_motherboard_serial(
    reporter: Reporter,
) -> None:
    by_system, by_board = new_serial(), new_serial()
    first = await reporter.register(serial=by_system)
    second = await reporter.register(serial=by_board)
    board_only = dell(new_serial(), new_mac())
    board_only["content"]["bios"]["ssn"] = "System Serial Number"
    board_only["content"]["bios"]["msn"] = by_board.lower()  # any case

    await reporter.report(dell(by_system, new_mac()))
    await reporter.report(board_only)

    assert len((await reporter.history(first["asset_tag"]))["items"]) == 1
    assert len((await reporter.history(second["asset_tag"]))["items"]) == 1


async def test_placeholder_serials_identify_nothing_the_mac_does(reporter: Reporter) -> None:
    mac = new_mac()
    # Someone registered a host with the firmware's placeholder as its serial.
    await reporter.register(serial="Default string")
    host = await reporter.register(macs=[mac])
    document = without_identity(dell(new_serial(), mac))
    document["content"]["bios"]["ssn"] = "Default string"

    await reporter.report(document)

    [recorded] = (await reporter.history(host["asset_tag"]))["items"]
    assert recorded["first"] is True


async def test_a_dock_mac_on_several_hosts_and_virtual_interfaces_are_left_out(
    reporter: Reporter,
) -> None:
    wifi, other_wifi, dock = new_mac(), new_mac(), new_mac()
    laptop = await reporter.register(macs=[wifi, dock], kind="laptop")
    await reporter.register(macs=[other_wifi, dock], kind="laptop")
    document = lenovo(new_serial(), wifi, dock)  # its serial was never registered
    # The virtual Wi-Fi Direct adapter's MAC happens to be a third host's.
    virtual = document["content"]["networks"][3]["mac"]
    await reporter.register(macs=[virtual])

    await reporter.report(document)

    assert len((await reporter.history(laptop["asset_tag"]))["items"]) == 1
    # The dock alone identifies no machine.
    dock_only = lenovo(new_serial(), new_mac(), dock)
    refused = await reporter.send(dock_only)
    assert refused.status_code == 404
    assert refused.json()["status"] == "error"


async def test_a_relabelled_pc_reports_to_its_live_record_not_the_retired_one(
    reporter: Reporter, kit: Any
) -> None:
    """The old record keeps the serial; the new one was registered with the MAC only."""
    serial, mac = new_serial(), new_mac()
    old = await reporter.register(serial=serial)
    path = f"/api/imaging/hosts/{old['asset_tag']}/retire"
    etag = await kit.etag(f"/api/imaging/hosts/{old['asset_tag']}")
    retired = await kit.client.post(path, headers={**kit.supervisor, "If-Match": etag})
    assert retired.status_code == 200, retired.text
    live = await reporter.register(macs=[mac])

    await reporter.report(dell(serial, mac))

    assert len((await reporter.history(live["asset_tag"]))["items"]) == 1
    assert (await reporter.history(old["asset_tag"]))["items"] == []


async def test_the_asset_tag_in_the_firmware_is_the_last_resort(reporter: Reporter) -> None:
    asset_tag = new_tag()
    host = await reporter.register(asset_tag=asset_tag)
    document = without_identity(dell(new_serial(), new_mac()))
    document["content"]["bios"]["assettag"] = asset_tag.lower()

    await reporter.report(document)

    assert len((await reporter.history(host["asset_tag"]))["items"]) == 1


async def test_an_unknown_machine_is_refused_naming_what_it_reported(reporter: Reporter) -> None:
    serial, mac = new_serial(), new_mac()

    response = await reporter.send(dell(serial, mac))

    assert response.status_code == 404
    assert response.json() == {
        "status": "error",
        "message": f"unknown host: register it first (serial {serial}, "
        f"/{serial}/CNFCW0016A00PJ/, MACs {mac.upper()})",
    }


async def test_a_serial_on_two_hosts_in_service_is_a_conflict(reporter: Reporter) -> None:
    serial = new_serial()
    first = await reporter.register(serial=serial)
    second = await reporter.register(serial=serial)

    response = await reporter.send(dell(serial, new_mac()))

    assert response.status_code == 409
    message = response.json()["message"]
    assert message.startswith(f"ambiguous host: the serial {serial} is on ")
    assert first["asset_tag"] in message and second["asset_tag"] in message


# --- retries -----------------------------------------------------------------------------------


async def test_the_same_document_sent_again_is_recorded_once(reporter: Reporter) -> None:
    serial, mac = new_serial(), new_mac()
    host = await reporter.register(serial=serial)
    document = dell(serial, mac)
    reordered = json.loads(json.dumps(document, sort_keys=True))  # same content, keys reordered

    await reporter.report(document)
    await reporter.report(document)
    await reporter.report(reordered)

    assert len((await reporter.history(host["asset_tag"]))["items"]) == 1
    assert len(await reporter.inventory_events(host["asset_tag"])) == 1
    changed = json.loads(json.dumps(document))
    changed["content"]["hardware"]["lastloggeduser"] = "principal"
    await reporter.report(changed)
    assert len((await reporter.history(host["asset_tag"]))["items"]) == 2


# --- who may report -----------------------------------------------------------------------------


async def test_a_key_of_another_site_cannot_report_this_sites_hosts(
    reporter: Reporter, kit: Any
) -> None:
    serial = new_serial()
    await reporter.register(serial=serial)
    other_key = await kit.api_key("imaging:agent", sites=[new_site_code()])

    response = await reporter.send(dell(serial, new_mac()), key=other_key)

    assert response.status_code == 403
    assert response.json() == {
        "status": "error",
        "message": f"this caller does not cover site {reporter.site}",
    }


async def test_without_a_key_or_with_another_scope_nothing_is_recorded(
    reporter: Reporter, kit: Any
) -> None:
    serial = new_serial()
    host = await reporter.register(serial=serial)
    document = dell(serial, new_mac())
    read_key = await kit.api_key("imaging:read")

    nobody = await reporter.send(document, headers={"Authorization": ""})
    reader = await reporter.send(document, key=read_key)
    not_a_key = await reporter.send(document, headers=basic("a-password"))
    requester = await reporter.send(document, headers=kit.token("requester"))

    assert nobody.status_code == 401 and nobody.json()["status"] == "error"
    assert reader.status_code == 403
    assert reader.json()["message"] == "requires an API key with the scope imaging:agent"
    assert not_a_key.status_code == 401
    assert requester.status_code == 403
    assert (await reporter.history(host["asset_tag"]))["items"] == []


# --- what the transport refuses ----------------------------------------------------------------


async def test_a_malformed_or_incomplete_document_is_refused_naming_what_is_wrong(
    reporter: Reporter,
) -> None:
    serial = new_serial()
    await reporter.register(serial=serial)
    no_deviceid = dell(serial, new_mac())
    del no_deviceid["deviceid"]
    no_versionclient = dell(serial, new_mac())
    del no_versionclient["content"]["versionclient"]
    unknown_key = {**dell(serial, new_mac()), "server": "glpi"}

    malformed = await reporter.send(b'{"deviceid": "x", "content": {')
    missing = await reporter.send(no_deviceid)
    no_version = await reporter.send(no_versionclient)
    unknown = await reporter.send(unknown_key)
    no_agent_id = await reporter.send(dell(serial, new_mac()), headers={"GLPI-Agent-ID": ""})
    nothing = await reporter.send({"deviceid": "x"})

    assert malformed.status_code == 400
    assert malformed.json()["status"] == "error"
    assert malformed.json()["message"].startswith("malformed JSON")
    assert missing.status_code == 400
    assert missing.json() == {"status": "error", "message": "missing field deviceid"}
    assert no_version.json()["message"] == "missing field content.versionclient"
    assert unknown.json()["message"] == "unknown field server"
    assert no_agent_id.status_code == 400
    assert "header GLPI-Agent-ID" in no_agent_id.json()["message"]
    assert nothing.json()["message"] == "content is required for an inventory"


async def test_a_zlib_bomb_is_refused_before_it_fills_the_memory(
    reporter: Reporter, kit: Any
) -> None:
    limit = kit.settings.inventory_max_inflated_bytes
    serial = new_serial()
    document = dell(serial, new_mac())
    document["content"]["padding"] = " " * (limit + 1)
    bomb = zlib.compress(json.dumps(document).encode(), 9)
    assert len(bomb) < kit.settings.inventory_max_bytes  # small on the wire

    response = await reporter.send(
        bomb, compression="none", headers={"Content-Type": "application/x-compress-zlib"}
    )

    assert response.status_code == 413
    assert response.json() == {
        "status": "error",
        "message": f"inflated body over {limit} bytes",
    }


async def test_a_body_over_the_limit_or_of_another_type_is_refused(
    reporter: Reporter, make_client: Any
) -> None:
    serial = new_serial()
    await reporter.register(serial=serial)
    body = json.dumps(dell(serial, new_mac())).encode()

    shared = reporter.kit.client
    async with make_client(inventory_max_bytes=len(body) - 1) as client:
        reporter.kit.client = client
        try:
            too_large = await reporter.send(body, compression="none")
        finally:
            reporter.kit.client = shared
    xml = await reporter.send(
        b"<REQUEST/>", compression="none", headers={"Content-Type": "application/xml"}
    )
    corrupt = await reporter.send(
        b"not zlib", compression="none", headers={"Content-Type": "application/x-compress-zlib"}
    )

    assert too_large.status_code == 413
    assert too_large.json() == {"status": "error", "message": f"body over {len(body) - 1} bytes"}
    assert xml.status_code == 415 and xml.json()["status"] == "error"
    assert corrupt.status_code == 400
    assert corrupt.json()["message"].startswith("the compressed body cannot be inflated")


async def test_nul_characters_from_the_firmware_are_removed(reporter: Reporter, kit: Any) -> None:
    serial, mac = new_serial(), new_mac()
    host = await reporter.register(macs=[mac])
    document = dell(serial, mac)
    document["content"]["bios"]["smanufacturer"] = "Dell Inc.\u0000\u0000"
    document["content"]["softwares"][0]["name"] = "7-Zip\u0000 23.01 (x64)"
    document["content"]["monitors"][0]["caption"] = "DELL\u0000 P2422H"

    await reporter.report(document)

    latest = await kit.client.get(
        f"{HOSTS}/{host['asset_tag']}/inventories/latest", headers=kit.technician
    )
    stored = latest.json()["document"]["content"]
    assert stored["bios"]["smanufacturer"] == "Dell Inc."
    assert stored["monitors"][0]["caption"] == "DELL P2422H"
    assert "7-Zip (x64)" in latest.json()["summary"]["softwares"]
