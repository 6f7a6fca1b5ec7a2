"""Reading a document: placeholders firmware reports identify nothing, virtual NICs are
left out, the summary (software names without their versions, internal disks only, RAM
from the modules), and partial inventories keeping what they did not send."""

from __future__ import annotations

import pytest

from imaging.inventory.models import AgentMessage, Content, InventorySummary
from imaging.inventory.readers import (
    asset_tag_of,
    is_placeholder,
    macs_of,
    serials_of,
    summarise,
)

from .conftest import dell, lenovo


def content(document: dict[str, object]) -> Content:
    return AgentMessage.model_validate(document).inventory_content()


@pytest.mark.parametrize(
    "serial",
    [
        "To be filled by O.E.M.",
        "TO BE FILLED BY O.E.M",
        "Default string",
        "System Serial Number",
        "Chassis Serial Number",
        "0",
        "None",
        "Not Specified",
        "0123456789",
        "XXXXXXXX",
        "00000000",
        "",
        "   ",
        "N/A",
        "No Asset Information",
    ],
)
def test_placeholders_identify_nothing(serial: str) -> None:
    assert is_placeholder(serial)


@pytest.mark.parametrize("serial", ["7QXR2K3", "PF3XK2L9", "CZC1234XYZ", "01234567A"])
def test_real_serials_are_kept(serial: str) -> None:
    assert not is_placeholder(serial)


def test_serials_macs_and_asset_tag_as_the_lenovo_reports_them() -> None:
    document = content(lenovo("PF3XK2L9", "60:DD:8E:0A:1B:2C", "3c-18-a0-55-66-77"))

    assert serials_of(document) == ["PF3XK2L9", "L1HF2AP07FH"]
    macs = macs_of(document)
    assert macs[:2] == ["60:DD:8E:0A:1B:2C", "3C:18:A0:55:66:77"]
    assert len(macs) == 3  # the Bluetooth PAN; not the virtual Wi-Fi Direct adapter
    assert asset_tag_of(document) is None  # "No Asset Information"


def test_the_summary_of_the_dell() -> None:
    summary = summarise(content(dell("7QXR2K3", "a4:bb:6d:12:34:56")), partial=False, previous=None)

    assert summary.memory_mb == 4096  # the modules, not what Windows sees (3840)
    assert [d.serial for d in summary.disks] == ["21184C800123"]  # not the USB key
    assert summary.macs == ["A4:BB:6D:12:34:56"]
    assert (summary.serial, summary.make, summary.model) == (
        "7QXR2K3",
        "Dell Inc.",
        "OptiPlex 7090",
    )
    assert summary.softwares["7-Zip (x64)"] == "23.01"
    assert summary.softwares["LibreOffice"] == "7.6.7.2"
    assert summary.softwares["Microsoft Visual C++ 2015-2022 Redistributable (x64)"] == (
        "14.38.33130.0"
    )


def test_a_partial_inventory_keeps_the_facets_it_did_not_send() -> None:
    previous = summarise(
        content(dell("7QXR2K3", "a4:bb:6d:12:34:56")), partial=False, previous=None
    )
    partial = content(
        {
            "deviceid": "pc",
            "partial": True,
            "content": {
                "versionclient": "a",
                "memories": [{"capacity": 8192}, {"capacity": 8192}],
                "softwares": [{"name": "Veyon", "version": "4.9.0"}],
            },
        }
    )

    summary = summarise(partial, partial=True, previous=previous)

    assert summary.memory_mb == 16384
    assert summary.softwares == {"Veyon": "4.9.0"}
    kept = {"cpus", "disks", "os_name", "os_version", "bios_version", "serial", "macs"}
    assert summary.model_dump(include=kept) == previous.model_dump(include=kept)
    # A full inventory without a section says the host has none of it.
    full = summarise(partial, partial=False, previous=previous)
    assert (full.disks, full.macs, full.os_name) == ([], [], None)


def test_the_same_software_twice_keeps_the_highest_version() -> None:
    document = content(
        {
            "deviceid": "pc",
            "content": {
                "versionclient": "a",
                "softwares": [
                    {"name": "Java 8 Update 401", "version": "8.0.4010.10"},
                    {"name": "Java 8 Update 401", "version": "8.0.4010.9"},
                    {"name": "Notepad++ (64-bit x64)", "version": "8.6.9"},
                ],
            },
        }
    )

    summary = summarise(document, partial=False, previous=InventorySummary())

    assert summary.softwares == {
        "Java 8 Update 401": "8.0.4010.10",
        "Notepad++ (64-bit x64)": "8.6.9",
    }
