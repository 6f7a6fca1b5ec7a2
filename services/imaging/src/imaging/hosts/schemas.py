"""What the hosts API accepts and returns, and the French labels of hosts' codes."""

from __future__ import annotations

import re
from datetime import date, datetime
from typing import Annotated, Any, TypeVar
from uuid import UUID

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, ValidationInfo, field_validator

from guichet_common.text import Text
from imaging.hosts.models import (
    SERIAL_MAX_LENGTH,
    Host,
    HostStatus,
    fold_asset_tag,
    fold_serial,
)
from imaging.naming.models import ASSET_TAG_MAX_LENGTH, HostKind, Network, netbios_name
from imaging.naming.schemas import KIND_LABELS, NETWORK_LABELS
from imaging.normalisation import normalise_mac
from imaging.sites.schemas import GroupCode, RoomCode, SiteCode

STATUS_LABELS: dict[HostStatus, str] = {
    HostStatus.IN_SERVICE: "En service",
    HostStatus.IN_REPAIR: "En réparation",
    HostStatus.STORED: "En stock",
    HostStatus.RETIRED: "Réformé",
}
MAX_MACS = 16
MAX_GROUPS = 50
_ASSET_TAG = re.compile(r"[A-Z0-9._-]+")

T = TypeVar("T")


def _not_null(value: T | None) -> T:
    if value is None:
        raise ValueError("cannot be null; leave it out to keep it")
    return value


def _asset_tag(value: str) -> str:
    tag = fold_asset_tag(value)
    if not _ASSET_TAG.fullmatch(tag):
        raise ValueError("letters, digits, hyphens, dots and underscores only")
    if len(tag) > ASSET_TAG_MAX_LENGTH:
        raise ValueError(f"at most {ASSET_TAG_MAX_LENGTH} characters")
    return tag


def _serial(value: str) -> str:
    serial = fold_serial(value)
    if len(serial) > SERIAL_MAX_LENGTH:  # upper case may lengthen it: `ß` is `SS`
        raise ValueError(f"at most {SERIAL_MAX_LENGTH} characters in upper case")
    return serial


def _hostname(value: str) -> str:
    return netbios_name(value)


def _mac(value: str) -> str:
    return normalise_mac(value)


def _distinct(values: list[str]) -> list[str]:
    """Each value once, in the order first given."""
    return list(dict.fromkeys(values))


def _not_retired(status: HostStatus | None) -> HostStatus | None:
    if status == HostStatus.RETIRED:
        raise ValueError("retire a host with POST /hosts/{asset_tag}/retire")
    return status


AssetTag = Annotated[
    Text,
    Field(
        min_length=1,
        max_length=ASSET_TAG_MAX_LENGTH,
        description="The GPI label; letters, digits, `-`, `.`, `_`; unique whatever its case",
        examples=["GPI-0042"],
    ),
    AfterValidator(_asset_tag),
]
HostnameText = Annotated[
    Text,
    Field(
        min_length=1,
        max_length=64,
        description="A NetBIOS name: at most 15 letters A-Z, digits and hyphens, not digits "
        "only, no hyphen at either end; accents removed and upper-cased (`Chécy-01` → "
        "`CHECY-01`)",
    ),
    AfterValidator(_hostname),
]
Mac = Annotated[
    Text,
    Field(max_length=40, description="`00:1A:2B:3C:4D:5E`, `00-1a-2b-3c-4d-5e`, `001a.2b3c.4d5e`"),
    AfterValidator(_mac),
]
Macs = Annotated[list[Mac], Field(max_length=MAX_MACS), AfterValidator(_distinct)]
Groups = Annotated[
    list[GroupCode],
    Field(max_length=MAX_GROUPS, description="Codes of the site's host groups"),
    AfterValidator(_distinct),
]
Serial = Annotated[Text, Field(min_length=1, max_length=SERIAL_MAX_LENGTH), AfterValidator(_serial)]
Label = Annotated[Text, Field(min_length=1, max_length=100)]
LiveStatus = Annotated[
    HostStatus,
    Field(description="in_service, in_repair or stored (retired: `POST …/retire`)"),
    AfterValidator(_not_retired),
]

HOST_EXAMPLE: dict[str, Any] = {
    "site_code": "CHECY-CLG",
    "room_code": "B104",
    "asset_tag": "GPI-0042",
    "macs": ["00:1A:2B:3C:4D:5E"],
    "serial": "PF3XK2L9",
    "model": "ThinkCentre M70q",
    "network": "pedagogy",
}


class HostIn(BaseModel):
    """A new host. Without `hostname`, its site's naming policy names it; with one (a
    name already on the domain), the name is kept as it is if no other host holds it and
    it is not in quarantine. A host registered `retired` needs the name it had; it holds
    it no more (quarantined from now if no other host has it)."""

    model_config = ConfigDict(
        extra="forbid", str_strip_whitespace=True, json_schema_extra={"examples": [HOST_EXAMPLE]}
    )

    site_code: SiteCode
    room_code: RoomCode | None = None
    asset_tag: AssetTag
    macs: Macs = Field(default_factory=list)
    serial: Serial | None = None
    make: Label | None = None
    model: Label | None = None
    kind: HostKind = HostKind.DESKTOP
    network: Network
    groups: Groups = Field(default_factory=list)
    hostname: HostnameText | None = None
    purchase_date: date | None = None
    warranty_end: date | None = None
    status: HostStatus = Field(
        default=HostStatus.IN_SERVICE,
        description="`retired`: a host of the past (an import), with the `hostname` it had",
    )

    @field_validator("warranty_end")
    @classmethod
    def _after_purchase(cls, value: date | None, info: ValidationInfo) -> date | None:
        bought = info.data.get("purchase_date")
        if value is not None and bought is not None and value < bought:
            raise ValueError("must not be before purchase_date")
        return value


class HostPatch(BaseModel):
    """Only the fields sent change (`room_code`, `serial`, `make`, `model` and the dates
    null: cleared). Changing the kind or the network does not rename the host."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    room_code: RoomCode | None = None
    groups: Groups | None = None
    status: LiveStatus | None = None
    macs: Macs | None = None
    serial: Serial | None = None
    make: Label | None = None
    model: Label | None = None
    kind: HostKind | None = None
    network: Network | None = None
    purchase_date: date | None = None
    warranty_end: date | None = None

    @field_validator("groups", "status", "macs", "kind", "network")
    @classmethod
    def _required(cls, value: object) -> object:
        return _not_null(value)


class RenameIn(BaseModel):
    """`{"hostname": …}`: that name, if free; `{}`: the next name of the site's policy."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    hostname: HostnameText | None = None


class HostOut(BaseModel):
    id: UUID
    asset_tag: str
    hostname: str
    site_code: str
    room_code: str | None
    kind: HostKind
    kind_label: str
    network: Network
    network_label: str
    status: HostStatus
    status_label: str
    serial: str | None
    make: str | None
    model: str | None
    macs: list[str]
    groups: list[str]
    purchase_date: date | None
    warranty_end: date | None
    retired_at: datetime | None
    created_at: datetime
    updated_at: datetime

    @classmethod
    def fields_of(cls, host: Host) -> dict[str, Any]:
        return {
            "id": host.id,
            "asset_tag": host.asset_tag,
            "hostname": host.hostname,
            "site_code": host.site.code,
            "room_code": host.room.code if host.room is not None else None,
            "kind": host.kind,
            "kind_label": KIND_LABELS[host.kind],
            "network": host.network,
            "network_label": NETWORK_LABELS[host.network],
            "status": host.status,
            "status_label": STATUS_LABELS[host.status],
            "serial": host.serial,
            "make": host.make,
            "model": host.model,
            "macs": sorted(m.mac for m in host.macs),
            "groups": sorted(g.code for g in host.groups),
            "purchase_date": host.purchase_date,
            "warranty_end": host.warranty_end,
            "retired_at": host.retired_at,
            "created_at": host.created_at,
            "updated_at": host.updated_at,
        }

    @classmethod
    def of(cls, host: Host) -> HostOut:
        return cls(**cls.fields_of(host))


class RetiredHostOut(HostOut):
    name_free_from: datetime = Field(
        description="Until then the host's last name stays reserved (the domain's quarantine)"
    )

    @classmethod
    def retired(cls, host: Host, name_free_from: datetime) -> RetiredHostOut:
        return cls(**cls.fields_of(host), name_free_from=name_free_from)
