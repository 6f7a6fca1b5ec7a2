"""What people read: sizes as they say them, and the French labels of what changed."""

from __future__ import annotations

from imaging.inventory import rendering
from imaging.inventory.models import DiskSummary, InventorySummary


def test_sizes_as_people_say_them() -> None:
    assert rendering.memory(4096) == "4 Go"
    assert rendering.memory(12288) == "12 Go"
    assert rendering.memory(3840) == "3,8 Go"
    assert rendering.memory(None) == "inconnue"
    assert rendering.disk_size(512110) == "512 Go"
    assert rendering.disk_size(256060) == "256 Go"
    assert rendering.disk_size(1000204) == "1 To"
    assert rendering.disk_size(2000398) == "2 To"
    assert rendering.disk_size(1500301) == "1,5 To"


def test_nothing_changed_says_nothing() -> None:
    summary = InventorySummary(memory_mb=4096, softwares={"VLC media player": "3.0.20"})
    assert rendering.changes(summary, summary) == []


def test_disks_added_removed_and_replaced() -> None:
    old = DiskSummary(serial="A1", model="ST500DM002", size_mb=500107)
    new = DiskSummary(serial="B2", model="CT1000MX500SSD1", size_mb=1000204)
    extra = DiskSummary(serial=None, model="WDC WD20EZRZ", size_mb=2000398)

    added = rendering.changes(InventorySummary(disks=[old]), InventorySummary(disks=[old, extra]))
    replaced = rendering.changes(InventorySummary(disks=[old]), InventorySummary(disks=[new]))
    removed = rendering.changes(InventorySummary(disks=[old, new]), InventorySummary(disks=[new]))

    assert [c.label for c in added] == ["Disque ajouté : WDC WD20EZRZ, 2 To"]
    assert [c.label for c in replaced] == [
        "Disque remplacé : ST500DM002, 500 Go, n° A1 → CT1000MX500SSD1, 1 To, n° B2"
    ]
    assert [c.label for c in removed] == ["Disque retiré : ST500DM002, 500 Go, n° A1"]


def test_software_system_bios_and_network_changes() -> None:
    before = InventorySummary(
        os_name="Microsoft Windows 10 Professionnel",
        os_version="22H2",
        bios_version="1.18",
        macs=["A4:BB:6D:12:34:56"],
        softwares={"7-Zip (x64)": "23.01", "Adobe Flash Player": "32.0", "Pronote": "2025.1"},
    )
    after = InventorySummary(
        os_name="Microsoft Windows 11 Professionnel",
        os_version="23H2",
        bios_version="1.19",
        macs=["A4:BB:6D:12:34:56", "3C:18:A0:55:66:77"],
        softwares={"7-Zip (x64)": "24.08", "Firefox": "128.0", "Pronote": "2024.3"},
    )

    labels = [(c.kind, c.label) for c in rendering.changes(before, after)]

    assert labels == [
        (
            "os",
            "Système : Microsoft Windows 10 Professionnel (22H2) → "
            "Microsoft Windows 11 Professionnel (23H2)",
        ),
        ("bios", "BIOS : 1.18 → 1.19"),
        ("network", "Carte réseau ajoutée : 3C:18:A0:55:66:77"),
        ("software_updated", "Logiciel mis à jour : 7-Zip (x64) 23.01 → 24.08"),
        ("software_installed", "Logiciel installé : Firefox 128.0"),
        ("software_updated", "Logiciel rétrogradé : Pronote 2025.1 → 2024.3"),
        ("software_removed", "Logiciel supprimé : Adobe Flash Player 32.0"),
    ]
