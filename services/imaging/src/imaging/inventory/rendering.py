"""What people read about inventories, in French: what changed between two summaries of a
host ("Mémoire : 4 Go → 8 Go"), and why a host does not meet a software reference."""

from __future__ import annotations

from imaging.events import InventoryChange
from imaging.inventory.models import DiskSummary, InventorySummary, version_key


def _decimal(value: float) -> str:
    """`8` or `7,8`: French decimals, one digit, none when it is a whole number."""
    rounded = round(value, 1)
    return str(int(rounded)) if rounded == int(rounded) else f"{rounded:.1f}".replace(".", ",")


def memory(mb: int | None) -> str:
    """RAM as people say it: modules are counted in binary units (8192 MB = 8 Go)."""
    return "inconnue" if mb is None else f"{_decimal(mb / 1024)} Go"


def disk_size(mb: int | None) -> str:
    """Disks as their makers label them, in decimal units (512110 MB = 512 Go)."""
    if mb is None:
        return "taille inconnue"
    gigabytes = mb / 1000
    if gigabytes >= 1000:
        return f"{_decimal(gigabytes / 1000)} To"
    return f"{round(gigabytes)} Go"


def disk(summary: DiskSummary) -> str:
    """`Samsung SSD 870 EVO 500GB, 500 Go, n° S6PXNS0T123456`."""
    parts = [summary.model or "disque", disk_size(summary.size_mb)]
    if summary.serial:
        parts.append(f"n° {summary.serial}")
    return ", ".join(parts)


def system(name: str | None, version: str | None) -> str:
    if not name:
        return "inconnu"
    return f"{name} ({version})" if version and version not in name else name


def _software(name: str, version: str) -> str:
    return f"{name} {version}" if version else name


def _disk_identity(summary: DiskSummary) -> tuple[str | None, str | None, int | None]:
    """A disk is known by its serial; without one, by its model and size."""
    if summary.serial:
        return (summary.serial.casefold(), None, None)
    return (None, (summary.model or "").casefold(), summary.size_mb)


def _disk_changes(before: list[DiskSummary], after: list[DiskSummary]) -> list[InventoryChange]:
    kept = {_disk_identity(d) for d in before}
    now = {_disk_identity(d) for d in after}
    removed = [d for d in before if _disk_identity(d) not in now]
    added = [d for d in after if _disk_identity(d) not in kept]
    found = [
        InventoryChange(kind="storage", label=f"Disque remplacé : {disk(old)} → {disk(new)}")
        for old, new in zip(removed, added, strict=False)
    ]
    found += [
        InventoryChange(kind="storage", label=f"Disque retiré : {disk(old)}")
        for old in removed[len(added) :]
    ]
    found += [
        InventoryChange(kind="storage", label=f"Disque ajouté : {disk(new)}")
        for new in added[len(removed) :]
    ]
    return found


def _software_changes(before: dict[str, str], after: dict[str, str]) -> list[InventoryChange]:
    found: list[InventoryChange] = []
    for name, version in after.items():
        if name not in before:
            found.append(
                InventoryChange(
                    kind="software_installed",
                    label=f"Logiciel installé : {_software(name, version)}",
                )
            )
        elif before[name] != version:
            old = before[name] or "version inconnue"
            verb = (
                "rétrogradé" if version_key(version) < version_key(before[name]) else "mis à jour"
            )
            found.append(
                InventoryChange(
                    kind="software_updated",
                    label=f"Logiciel {verb} : {name} {old} → {version or 'version inconnue'}",
                )
            )
    found += [
        InventoryChange(
            kind="software_removed", label=f"Logiciel supprimé : {_software(name, version)}"
        )
        for name, version in before.items()
        if name not in after
    ]
    return found


def changes(before: InventorySummary, after: InventorySummary) -> list[InventoryChange]:
    """What differs between two summaries of a host, hardware first, then software."""
    found: list[InventoryChange] = []
    if before.memory_mb != after.memory_mb:
        found.append(
            InventoryChange(
                kind="memory",
                label=f"Mémoire : {memory(before.memory_mb)} → {memory(after.memory_mb)}",
            )
        )
    if before.cpus != after.cpus:
        old, new = " + ".join(before.cpus) or "aucun", " + ".join(after.cpus) or "aucun"
        found.append(InventoryChange(kind="cpu", label=f"Processeur : {old} → {new}"))
    found += _disk_changes(before.disks, after.disks)
    if (before.os_name, before.os_version) != (after.os_name, after.os_version):
        old = system(before.os_name, before.os_version)
        new = system(after.os_name, after.os_version)
        found.append(InventoryChange(kind="os", label=f"Système : {old} → {new}"))
    if before.bios_version != after.bios_version:
        old, new = before.bios_version or "inconnu", after.bios_version or "inconnu"
        found.append(InventoryChange(kind="bios", label=f"BIOS : {old} → {new}"))
    found += [
        InventoryChange(kind="network", label=f"Carte réseau ajoutée : {mac}")
        for mac in after.macs
        if mac not in before.macs
    ]
    found += [
        InventoryChange(kind="network", label=f"Carte réseau retirée : {mac}")
        for mac in before.macs
        if mac not in after.macs
    ]
    return found + _software_changes(before.softwares, after.softwares)


# --- compliance ----------------------------------------------------------------------------


def missing(label: str, name_pattern: str, min_version: str | None) -> str:
    """`Manquant : Navigateur (Mozilla Firefox, 128.0 minimum)`."""
    wanted = f"{name_pattern}, {min_version} minimum" if min_version else name_pattern
    return f"Manquant : {label} ({wanted})"


def outdated(label: str, installed: dict[str, str], min_version: str) -> str:
    """`Obsolète : Navigateur (Mozilla Firefox (x64 fr) 115.0 installé, 128.0 minimum)`."""
    found = ", ".join(
        f"{name} {version or 'version inconnue'}" for name, version in installed.items()
    )
    return f"Obsolète : {label} ({found} installé, {min_version} minimum)"
