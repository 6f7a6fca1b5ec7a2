"""A host's history: what changed between two inventories, in French (RAM, a disk
replaced, the system, the BIOS, software installed, removed, updated), in the list and in
the event; partial inventories; the latest document; pages and access."""

from __future__ import annotations

import copy
from datetime import datetime
from typing import Any

import pytest

from .conftest import HOSTS, Json, Reporter, dell, new_mac, new_serial, new_site_code

pytestmark = pytest.mark.integration


def upgraded(document: Json) -> Json:
    """The same PC after a visit: 8 GB, a new 1 TB disk, Windows 24H2, BIOS 1.19, 7-Zip
    updated, VLC removed, Thunderbird installed."""
    changed = copy.deepcopy(document)
    content = changed["content"]
    content["memories"][1] = {**content["memories"][0], "caption": "DIMM2", "numslots": 2}
    content["hardware"]["memory"] = 7936
    content["storages"] = [
        {
            "name": "\\\\.\\PHYSICALDRIVE0",
            "model": "Samsung SSD 870 EVO 1TB",
            "manufacturer": "Samsung",
            "serial": "S6PXNF0W123456",
            "disksize": 1000204,
            "type": "disk",
            "interface": "SCSI",
        }
    ]
    content["operatingsystem"]["version"] = "24H2"
    content["bios"]["bversion"] = "1.19.0"
    softwares = [s for s in content["softwares"] if s["name"] != "VLC media player"]
    softwares[0] = {**softwares[0], "name": "7-Zip 24.08 (x64)", "version": "24.08"}
    softwares.append(
        {"name": "Mozilla Thunderbird (x64 fr)", "version": "128.4.0", "publisher": "Mozilla"}
    )
    content["softwares"] = softwares
    return changed


EXPECTED_CHANGES = [
    {"kind": "memory", "label": "Mémoire : 4 Go → 8 Go"},
    {
        "kind": "storage",
        "label": "Disque remplacé : PC SN530 NVMe WDC 512GB, 512 Go, n° 21184C800123 → "
        "Samsung SSD 870 EVO 1TB, 1 To, n° S6PXNF0W123456",
    },
    {
        "kind": "os",
        "label": "Système : Microsoft Windows 11 Professionnel (23H2) → "
        "Microsoft Windows 11 Professionnel (24H2)",
    },
    {"kind": "bios", "label": "BIOS : 1.18.0 → 1.19.0"},
    {"kind": "software_updated", "label": "Logiciel mis à jour : 7-Zip (x64) 23.01 → 24.08"},
    {
        "kind": "software_installed",
        "label": "Logiciel installé : Mozilla Thunderbird (x64 fr) 128.4.0",
    },
    {"kind": "software_removed", "label": "Logiciel supprimé : VLC media player 3.0.20"},
]


async def test_the_history_says_what_changed_in_french_and_so_does_the_event(
    reporter: Reporter,
) -> None:
    serial, mac = new_serial(), new_mac()
    host = await reporter.register(serial=serial, macs=[mac])
    before = dell(serial, mac)

    await reporter.report(before)
    await reporter.report(upgraded(before))

    newest, oldest = (await reporter.history(host["asset_tag"]))["items"]
    assert (newest["first"], oldest["first"]) == (False, True)
    assert newest["received_at"] > oldest["received_at"]
    assert newest["changes"] == EXPECTED_CHANGES
    first, second = await reporter.inventory_events(host["asset_tag"])
    assert (first["data"]["first"], second["data"]["first"]) == (True, False)
    assert second["data"]["changes"] == EXPECTED_CHANGES
    reported_at = datetime.fromisoformat(second["data"]["reported_at"])
    assert reported_at == datetime.fromisoformat(newest["received_at"])


async def test_a_partial_inventory_changes_only_the_sections_it_sends(
    reporter: Reporter, kit: Any
) -> None:
    serial, mac = new_serial(), new_mac()
    host = await reporter.register(serial=serial)
    full = upgraded(dell(serial, mac))
    await reporter.report(full)
    softwares = [s for s in full["content"]["softwares"] if s["name"] != "Google Chrome"]
    partial = {
        "deviceid": full["deviceid"],
        "partial": True,
        "itemtype": "Computer",
        "content": {"versionclient": "GLPI-Agent_v1.11", "softwares": softwares},
    }

    await reporter.report(partial)

    newest = (await reporter.history(host["asset_tag"]))["items"][0]
    assert newest["partial"] is True
    assert newest["changes"] == [
        {"kind": "software_removed", "label": "Logiciel supprimé : Google Chrome 130.0.6723.92"}
    ]
    latest = (
        await kit.client.get(
            f"{HOSTS}/{host['asset_tag']}/inventories/latest", headers=kit.technician
        )
    ).json()
    assert latest["partial"] is True
    assert latest["document"]["content"] == partial["content"]
    summary = latest["summary"]
    assert summary["memory_mb"] == 8192  # kept from the full inventory
    assert summary["os_version"] == "24H2"
    assert summary["macs"] == [mac.upper()]
    assert "Google Chrome" not in summary["softwares"]
    assert summary["softwares"]["7-Zip (x64)"] == "24.08"


async def test_the_latest_inventory_is_the_document_as_received(
    reporter: Reporter, kit: Any
) -> None:
    serial, mac = new_serial(), new_mac()
    host = await reporter.register(serial=serial)
    document = dell(serial, mac)
    nothing_yet = await kit.client.get(
        f"{HOSTS}/{host['asset_tag']}/inventories/latest", headers=kit.technician
    )
    await reporter.report(document)

    latest = await kit.client.get(
        f"{HOSTS}/{host['asset_tag'].lower()}/inventories/latest", headers=kit.technician
    )

    assert nothing_yet.status_code == 404
    assert latest.status_code == 200, latest.text
    body = latest.json()
    assert body["asset_tag"] == host["asset_tag"]
    assert body["document"] == document  # the unknown sections too (antivirus, monitors…)
    assert body["summary"] == {
        "memory_mb": 4096,
        "cpus": ["Intel(R) Core(TM) i5-10505 CPU @ 3.20GHz"],
        "disks": [
            {"serial": "21184C800123", "model": "PC SN530 NVMe WDC 512GB", "size_mb": 512110}
        ],
        "os_name": "Microsoft Windows 11 Professionnel",
        "os_version": "23H2",
        "bios_version": "1.18.0",
        "serial": serial,
        "make": "Dell Inc.",
        "model": "OptiPlex 7090",
        "softwares": {
            "2024-10 Mise à jour cumulative pour Windows 11 Version 23H2 pour les systèmes x64": (
                "KB5044285"
            ),
            "7-Zip (x64)": "23.01",
            "GLPI Agent": "1.11",
            "Google Chrome": "130.0.6723.92",
            "LibreOffice": "7.6.7.2",
            "Microsoft Visual C++ 2015-2022 Redistributable (x64)": "14.38.33130.0",
            "Mozilla Firefox (x64 fr)": "128.3.1",
            "VLC media player": "3.0.20",
        },
        "macs": [mac.upper()],
    }


async def test_the_history_is_paged_newest_first(reporter: Reporter) -> None:
    serial, mac = new_serial(), new_mac()
    host = await reporter.register(serial=serial)
    document = dell(serial, mac)
    for version in ("1.18.0", "1.19.0", "1.20.0"):
        document["content"]["bios"]["bversion"] = version
        await reporter.report(document)

    first_page = await reporter.history(host["asset_tag"], limit=2)
    second_page = await reporter.history(
        host["asset_tag"], limit=2, cursor=first_page["next_cursor"]
    )

    labels = [i["changes"] for i in first_page["items"] + second_page["items"]]
    assert labels == [
        [{"kind": "bios", "label": "BIOS : 1.19.0 → 1.20.0"}],
        [{"kind": "bios", "label": "BIOS : 1.18.0 → 1.19.0"}],
        [],
    ]
    assert second_page["next_cursor"] is None


async def test_a_host_of_another_site_is_not_shown(reporter: Reporter, kit: Any) -> None:
    serial = new_serial()
    host = await reporter.register(serial=serial)
    await reporter.report(dell(serial, new_mac()))
    elsewhere = kit.token("technician", sites=[new_site_code()])

    for path in ("inventories", "inventories/latest", "compliance"):
        response = await kit.client.get(f"{HOSTS}/{host['asset_tag']}/{path}", headers=elsewhere)
        assert response.status_code == 403, path
    missing = await kit.client.get(f"{HOSTS}/NO-SUCH-TAG/inventories", headers=kit.technician)
    assert missing.status_code == 404
    assert missing.headers["content-type"] == "application/problem+json"


async def test_an_event_lists_a_hundred_changes_the_history_all(reporter: Reporter) -> None:
    serial, mac = new_serial(), new_mac()
    host = await reporter.register(serial=serial)
    document = dell(serial, mac)
    await reporter.report(document)
    document["content"]["softwares"] += [
        {"name": f"Ressource pédagogique {n:03}", "version": "1.0"} for n in range(150)
    ]

    await reporter.report(document)

    newest = (await reporter.history(host["asset_tag"]))["items"][0]
    assert len(newest["changes"]) == 150
    event = (await reporter.inventory_events(host["asset_tag"]))[-1]["data"]
    assert len(event["changes"]) == 100
    assert event["changes"][:99] == newest["changes"][:99]
    assert event["changes"][99] == {
        "kind": "more",
        "label": "… et 51 autres changements : voir l'historique du poste",
    }
