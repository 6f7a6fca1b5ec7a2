"""Reading an agent's inventory: what identifies the machine (serials, MACs, asset tag;
placeholders firmware reports left out) and the summary of what it is made of."""

from __future__ import annotations

import re
from typing import Any

from imaging.inventory.models import (
    FACETS,
    Bios,
    Content,
    DiskSummary,
    InventorySummary,
    OperatingSystem,
    Storage,
    version_key,
)
from imaging.normalisation import normalise_mac

# --- what identifies the machine ----------------------------------------------------------

# Serial numbers and asset tags firmware reports when nobody set one, compared on their
# letters and digits only, case folded.
# fmt: off
_PLACEHOLDERS = frozenset(
    {
        "tobefilledbyoem", "defaultstring", "systemserialnumber", "chassisserialnumber",
        "baseboardserialnumber", "none", "null", "notspecified", "notavailable", "notapplicable",
        "na", "0123456789", "123456789", "1234567890", "serial", "serialnumber",
        "type1productconfigid", "invalid", "unknown", "oem", "default", "empty", "noassettag",
        "noassetinformation", "assettagnum", "assettag",
    }
)
# fmt: on
_NOT_ALNUM = re.compile(r"[^0-9a-z]")


def is_placeholder(raw: str | None) -> bool:
    """`To be filled by O.E.M.`, `Default string`, `0`, `XXXXXXXX`, empty…: no identity."""
    folded = _NOT_ALNUM.sub("", (raw or "").casefold())
    return not folded or folded in _PLACEHOLDERS or len(set(folded)) == 1


def _real(raw: str | None) -> str | None:
    return None if raw is None or is_placeholder(raw) else " ".join(raw.split())


def serials_of(content: Content) -> list[str]:
    """The system's serial, then the motherboard's, placeholders left out."""
    bios = content.bios or Bios()
    found = [s for s in (_real(bios.ssn), _real(bios.msn)) if s is not None]
    return list(dict.fromkeys(found))


def macs_of(content: Content) -> list[str]:
    """The physical interfaces' MACs, normalised; virtual ones and unreadable ones left out."""
    macs: list[str] = []
    for network in content.networks or []:
        if network.virtualdev or not network.mac:
            continue
        try:
            macs.append(normalise_mac(network.mac))
        except ValueError:
            continue
    return list(dict.fromkeys(macs))


def asset_tag_of(content: Content) -> str | None:
    return _real((content.bios or Bios()).assettag)


# --- the summary ---------------------------------------------------------------------------


def _software_name(name: str, version: str | None) -> str:
    """The name without its version: `7-Zip 24.08 (x64)` (24.08) → `7-Zip (x64)`, so an
    update reads as an update, not as a removal and an installation."""
    cleaned = " ".join(name.split())
    if version and version.strip():
        written = version.strip()
        for candidate in dict.fromkeys((written, re.sub(r"(\.0)+$", "", written))):
            if candidate:
                cleaned = re.sub(rf"(?<![\w.]){re.escape(candidate)}(?![\w.])", "", cleaned)
        cleaned = re.sub(r"\(\s*\)", "", cleaned)
        cleaned = re.sub(r"\s*[-\u2013]\s*$", "", " ".join(cleaned.split()))
    return cleaned or " ".join(name.split())


def _is_fixed_disk(storage: Storage) -> bool:
    """Internal disks only: a USB key or a DVD drive present that day is not the host's."""
    kind = (storage.type or "").casefold()
    interface = (storage.interface or "").casefold()
    if any(word in kind for word in ("removable", "cd", "dvd", "external", "floppy")):
        return False
    return interface != "usb" and bool(storage.disksize)


def _facet(content: Content, facet: str) -> dict[str, Any]:
    if facet == "memory":
        modules = sum(m.capacity or 0 for m in content.memories or [])
        reported = content.hardware.memory if content.hardware else None
        return {"memory_mb": modules or reported or None}
    if facet == "cpus":
        return {"cpus": [" ".join(c.name.split()) for c in content.cpus or [] if c.name]}
    if facet == "disks":
        disks = [
            DiskSummary(serial=_real(s.serial), model=_real(s.model), size_mb=s.disksize)
            for s in content.storages or []
            if _is_fixed_disk(s)
        ]
        return {"disks": disks}
    if facet == "os":
        system = content.operatingsystem or OperatingSystem()
        return {"os_name": system.full_name or system.name, "os_version": system.version}
    if facet == "bios":
        bios = content.bios or Bios()
        return {
            "bios_version": bios.bversion,
            "serial": _real(bios.ssn),  # the motherboard's is not the machine's
            "make": _real(bios.smanufacturer),
            "model": _real(bios.smodel),
        }
    if facet == "softwares":
        softwares: dict[str, str] = {}
        for software in content.softwares or []:
            version = (software.version or "").strip()
            name = _software_name(software.name, version)
            if not name:
                continue
            if name not in softwares or version_key(version) > version_key(softwares[name]):
                softwares[name] = version
        return {"softwares": dict(sorted(softwares.items(), key=lambda i: i[0].casefold()))}
    assert facet == "macs"
    return {"macs": macs_of(content)}


def summarise(
    content: Content, *, partial: bool, previous: InventorySummary | None
) -> InventorySummary:
    """The host's summary after this inventory. A full inventory sets every facet; a
    partial one those of the sections it sent, the others kept from `previous`."""
    sent = content.model_fields_set | set(content.model_extra or {})
    values = (previous or InventorySummary()).model_dump()
    for facet, (sections, _fields) in FACETS.items():
        if not partial or sent.intersection(sections):
            values.update(_facet(content, facet))
    return InventorySummary.model_validate(values)
