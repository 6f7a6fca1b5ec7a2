"""Inventories as agents report them (one row per document received, the host's history),
the shapes of what it stores as JSON (the GLPI inventory itself, and the compact summary
kept beside it), and the software reference lists of compliance."""

from __future__ import annotations

import hashlib
import json
import re
from datetime import datetime
from typing import Annotated, Any, Literal, TypeVar
from uuid import UUID

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, model_validator
from pydantic_core import PydanticCustomError
from sqlalchemy import ForeignKey, Index, String, func, text
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column, relationship

from guichet_common.db import EnumText
from guichet_common.text import MachineText, strip_nul
from imaging.db import Base
from imaging.naming.models import HostKind
from imaging.sites.models import Site

# --- the GLPI inventory (glpi-project/inventory_format, JSON protocol) ---------------------

Machine = Annotated[MachineText, Field(max_length=4000)]


def _nul_stripped(value: Any) -> Any:
    return strip_nul(value) if isinstance(value, str) else value


C = TypeVar("C")
# One of a few codes, as a machine writes it: NULs removed first, like any machine text.
MachineCode = Annotated[
    C, BeforeValidator(_nul_stripped), Field(json_schema_extra={"x-nul": "stripped"})
]
MAX_NESTING = 32  # the format nests 4 levels deep; anything far deeper is not an inventory


def _without_nul(value: Any, depth: int = 0) -> Any:
    """Every string of a JSON value, keys included, without NULs (PostgreSQL's jsonb cannot
    store them): the sections the model does not name are kept as the agent sent them."""
    if depth > MAX_NESTING:
        raise PydanticCustomError("too_deep", "nested more than {max} levels", {"max": MAX_NESTING})
    if isinstance(value, str):
        return strip_nul(value)
    if isinstance(value, dict):
        return {strip_nul(str(k)): _without_nul(v, depth + 1) for k, v in value.items()}
    if isinstance(value, list):
        return [_without_nul(v, depth + 1) for v in value]
    return value


class Section(BaseModel):
    """A section of `content`: the fields the summary reads are typed, others kept."""

    # Numbers where the format says strings (`"speed": 2666`) are taken as written.
    model_config = ConfigDict(extra="allow", coerce_numbers_to_str=True)


class Bios(Section):
    smanufacturer: Machine | None = None
    smodel: Machine | None = None
    ssn: Machine | None = Field(default=None, description="The system's serial number")
    mmanufacturer: Machine | None = None
    mmodel: Machine | None = None
    msn: Machine | None = Field(default=None, description="The motherboard's serial number")
    bmanufacturer: Machine | None = None
    bversion: Machine | None = None
    bdate: Machine | None = None
    assettag: Machine | None = None


class Hardware(Section):
    name: Machine | None = None
    uuid: Machine | None = None
    memory: int | None = Field(default=None, description="MB")
    chassis_type: Machine | None = None


class OperatingSystem(Section):
    name: Machine | None = None
    full_name: Machine | None = None
    version: Machine | None = None
    arch: Machine | None = None


class Cpu(Section):
    name: Machine | None = None
    manufacturer: Machine | None = None
    core: int | None = None
    thread: int | None = None
    speed: int | None = Field(default=None, description="MHz")


class Memory(Section):
    capacity: int | None = Field(default=None, description="MB")
    caption: Machine | None = None
    type: Machine | None = None
    speed: Machine | None = None
    serialnumber: Machine | None = None


class Storage(Section):
    name: Machine | None = None
    model: Machine | None = None
    manufacturer: Machine | None = None
    serial: Machine | None = None
    disksize: int | None = Field(default=None, description="MB")
    type: Machine | None = None
    interface: Machine | None = None


class Software(Section):
    name: Machine
    version: Machine | None = None
    publisher: Machine | None = None
    arch: Machine | None = None


class Network(Section):
    description: Machine = Field(description="The interface's name")
    mac: Machine | None = None
    ipaddress: Machine | None = None
    type: Machine | None = None
    status: Machine | None = None
    virtualdev: bool | None = None


class Content(Section):
    versionclient: Machine = Field(
        min_length=1, max_length=100, description="The agent: `GLPI-Agent_v1.7`"
    )
    bios: Bios | None = None
    hardware: Hardware | None = None
    operatingsystem: OperatingSystem | None = None
    cpus: list[Cpu] | None = None
    memories: list[Memory] | None = None
    storages: list[Storage] | None = None
    softwares: list[Software] | None = None
    networks: list[Network] | None = None


class AgentMessage(BaseModel):
    """An inventory (`action` `inventory`, the default) or the agent's CONTACT (`action`
    `contact`, sent before its first inventory to learn what the server takes). Strings
    are machine text: NULs are removed, everywhere in the document."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    deviceid: Machine = Field(min_length=1, max_length=255)
    content: Content | None = Field(default=None, description="Required for an inventory")
    itemtype: MachineCode[
        Literal["Computer", "Unmanaged", "Phone", "NetworkEquipment", "Printer"]
    ] = "Computer"
    action: MachineCode[
        Literal["inventory", "contact", "netdiscovery", "netinventory", "injector"]
    ] = "inventory"
    partial: bool = Field(default=False, description="Only some sections are sent")
    jobid: int | None = None
    tag: Machine | None = None
    # CONTACT's own fields.
    name: Machine | None = None
    version: Machine | None = None
    installed_tasks: list[Machine] | None = Field(default=None, alias="installed-tasks")
    enabled_tasks: list[Machine] | None = Field(default=None, alias="enabled-tasks")
    httpd_port: Machine | int | None = Field(default=None, alias="httpd-port")
    httpd_plugins: dict[str, Any] | None = Field(default=None, alias="httpd-plugins")

    @model_validator(mode="before")
    @classmethod
    def _strip_nul(cls, data: Any) -> Any:
        return _without_nul(data)

    @model_validator(mode="after")
    def _content_for_inventories(self) -> AgentMessage:
        if self.action != "contact" and self.content is None:
            raise PydanticCustomError("missing_content", "content is required for an inventory")
        return self

    @property
    def is_contact(self) -> bool:
        return self.action == "contact"

    def inventory_content(self) -> Content:
        assert self.content is not None  # the validator guarantees it
        return self.content

    def stored(self) -> dict[str, Any]:
        """The document as the agent sent it (fields it left out stay out)."""
        return self.model_dump(mode="json", exclude_unset=True, by_alias=True)


def content_sha256(stored: dict[str, Any]) -> str:
    """SHA-256 of the canonical JSON of a stored document's `deviceid` and `content`: the
    same document sent again hashes the same, whatever the order of its keys."""
    canonical = json.dumps(
        {"deviceid": stored.get("deviceid"), "content": stored.get("content")},
        sort_keys=True,
        separators=(",", ":"),
        ensure_ascii=False,
    )
    return hashlib.sha256(canonical.encode()).hexdigest()


# --- versions ------------------------------------------------------------------------------

_VERSION_END = re.compile(r"[\s(]")
_VERSION_PARTS = re.compile(r"[.\-_+]")
_LEADING_DIGITS = re.compile(r"\d+")


def version_key(version: str | None) -> tuple[int, ...]:
    """A version as numbers, compared part by part: `24.08` → (24, 8), `1.19.0` = `1.19`,
    `7.4.1-beta` → (7, 4, 1). What follows a space or a parenthesis is not the version
    (`24.08 (x64)`); a part without leading digits ends it. () when it has no number."""
    if not version:
        return ()
    head = _VERSION_END.split(version.strip(), maxsplit=1)[0]
    numbers: list[int] = []
    for part in _VERSION_PARTS.split(head):
        digits = _LEADING_DIGITS.match(part)
        if digits is None:
            break
        numbers.append(int(digits.group()[:18]))  # a part is a number, not a serial
    while numbers and numbers[-1] == 0:
        numbers.pop()
    return tuple(numbers)


# --- the summary of an inventory (JSONB) ---------------------------------------------------


class DiskSummary(BaseModel):
    model_config = ConfigDict(frozen=True)

    serial: str | None = None
    model: str | None = None
    size_mb: int | None = None


class InventorySummary(BaseModel):
    """What a host is made of, normalised from an inventory: what the history compares
    and compliance reads. A partial inventory updates only the facets of its sections."""

    model_config = ConfigDict(frozen=True)

    memory_mb: int | None = Field(default=None, description="RAM, total of the modules")
    cpus: list[str] = Field(default_factory=list)
    disks: list[DiskSummary] = Field(default_factory=list)
    os_name: str | None = None
    os_version: str | None = None
    bios_version: str | None = None
    serial: str | None = Field(default=None, description="The system serial (placeholders off)")
    make: str | None = None
    model: str | None = None
    softwares: dict[str, str] = Field(
        default_factory=dict, description="Name (its version left out) → version, '' if none"
    )
    macs: list[str] = Field(default_factory=list, description="Physical interfaces only")


# The summary's facets and the sections of a GLPI inventory each is made from: a partial
# inventory recomputes a facet when it sends one of its sections, and keeps it otherwise.
FACETS: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    # facet: (sections, summary fields)
    "memory": (("memories", "hardware"), ("memory_mb",)),
    "cpus": (("cpus",), ("cpus",)),
    "disks": (("storages",), ("disks",)),
    "os": (("operatingsystem",), ("os_name", "os_version")),
    "bios": (("bios",), ("bios_version", "serial", "make", "model")),
    "softwares": (("softwares",), ("softwares",)),
    "macs": (("networks",), ("macs",)),
}


# --- tables --------------------------------------------------------------------------------


class Inventory(Base):
    """One inventory document as received (NULs removed), with its summary (the host's
    state after it, partial inventories merged) and what changed since the previous one."""

    __tablename__ = "inventory"
    __table_args__ = (
        # A host's history, newest first; its latest inventory.
        Index("ix_inventory_host_received", "host_id", "received_at", "id"),
        # The host an agent reported before (a partial inventory may not identify it).
        Index("ix_inventory_device_id", "device_id"),
    )

    id: Mapped[UUID] = mapped_column(primary_key=True)
    host_id: Mapped[UUID] = mapped_column(ForeignKey("host.id", ondelete="CASCADE"))
    received_at: Mapped[datetime] = mapped_column(server_default=func.now())
    agent_id: Mapped[str] = mapped_column(String(64))  # the GLPI-Agent-ID header
    device_id: Mapped[str] = mapped_column(String(255))  # the document's `deviceid`
    versionclient: Mapped[str] = mapped_column(String(100))
    partial: Mapped[bool] = mapped_column(server_default=text("false"))
    # SHA-256 of the canonical JSON of `deviceid` and `content`: an agent's retry of the
    # same document records nothing.
    content_sha256: Mapped[str] = mapped_column(String(64))
    document: Mapped[dict[str, Any]] = mapped_column(JSONB)
    summary: Mapped[dict[str, Any]] = mapped_column(JSONB)
    # [{"kind", "label"}] since the previous inventory; [] for the first one.
    changes: Mapped[list[dict[str, str]]] = mapped_column(
        JSONB, server_default=text("'[]'::jsonb"), default=list
    )

    __mapper_args__ = {"eager_defaults": True}


class SoftwareReference(Base):
    """A software every host of a site (or of every site) and of a kind (or of every kind)
    must have, at a minimum version or any. A name pattern matches the start of an
    installed software's name, whatever its case (`Mozilla Firefox` matches `Mozilla
    Firefox (x64 fr)`)."""

    __tablename__ = "software_reference"
    __table_args__ = (Index("ix_software_reference_site_id", "site_id"),)

    id: Mapped[UUID] = mapped_column(primary_key=True)
    site_id: Mapped[UUID | None] = mapped_column(ForeignKey("site.id", ondelete="CASCADE"))
    host_kind: Mapped[HostKind | None] = mapped_column(EnumText(HostKind, 20))
    name_pattern: Mapped[str] = mapped_column(String(200))
    min_version: Mapped[str | None] = mapped_column(String(50))
    label: Mapped[str] = mapped_column(String(200))
    # The ETag: every UPDATE checks and bumps it.
    version: Mapped[int] = mapped_column(server_default=text("1"))
    created_at: Mapped[datetime] = mapped_column(server_default=func.now())

    # Its site's code in every answer, read in the same query.
    site: Mapped[Site | None] = relationship(lazy="joined")

    __mapper_args__ = {"version_id_col": version, "eager_defaults": True}
