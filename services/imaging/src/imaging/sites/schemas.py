"""What the sites API accepts and returns: sites with their opening hours and contacts,
rooms, host groups; the French labels of their kinds."""

from __future__ import annotations

import re
import unicodedata
from datetime import datetime, time
from typing import Annotated, Any, Literal, TypeVar
from uuid import UUID

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)
from pydantic_core import InitErrorDetails, PydanticCustomError

from guichet_common.text import Email, Phone, Text
from imaging.normalisation import NETBIOS_CHARACTERS, ascii_upper, normalise_uai
from imaging.sites.models import HostGroup, Room, RoomKind, Site, SiteKind

SITE_KIND_LABELS = {
    SiteKind.COLLEGE: "Collège",
    SiteKind.LYCEE: "Lycée",
    SiteKind.DEPARTMENT_OFFICE: "Direction départementale",
}
ROOM_KIND_LABELS = {
    RoomKind.CLASSROOM: "Salle de classe",
    RoomKind.LAB: "Laboratoire",
    RoomKind.CDI: "CDI",
    RoomKind.OFFICE: "Bureau",
    RoomKind.SERVER_ROOM: "Salle serveur",
}
PREFIX_LENGTH = 6
# Metropolitan départements 01-95 (Corsica as 2A and 2B, no 20) and the overseas 971-976.
_DEPARTMENT = re.compile(r"^(0[1-9]|1[0-9]|2[1-9AB]|[3-8][0-9]|9[0-5]|97[1-6])$")

T = TypeVar("T")


def _not_null(value: T | None) -> T:
    if value is None:
        raise ValueError("cannot be null; leave it out to keep it")
    return value


def _error_at(loc: tuple[int | str, ...], kind: str, message: str, value: Any) -> ValidationError:
    """An error located below the field being validated (`ranges.1`): pydantic adds the
    field's own location in front, so the 422 names `opening_hours.0.ranges.1`."""
    return ValidationError.from_exception_data(
        "site", [InitErrorDetails(type=PydanticCustomError(kind, message), loc=loc, input=value)]
    )


def _fixed_code(data: Any, what: str) -> Any:
    """A patch naming `code` is refused on `code`: the key in the path never changes."""
    if isinstance(data, dict) and "code" in data:
        raise _error_at(("code",), "code_fixed", f"a {what}'s code cannot change", data["code"])
    return data


# --- codes ---------------------------------------------------------------------------------


def _code(value: str) -> str:
    """Letters (accented ones included), ASCII digits and hyphens, not at either end."""
    code = unicodedata.normalize("NFC", value)
    if any(not (c.isalpha() or c in "0123456789-") for c in code):
        raise ValueError("letters, digits and hyphens only")
    if code.startswith("-") or code.endswith("-"):
        raise ValueError("must not start or end with a hyphen")
    return code


def _upper_code(value: str) -> str:
    return _code(value).upper()


SiteCode = Annotated[
    Text,
    Field(
        min_length=2,
        max_length=20,
        description="Letters, digits and hyphens (`CHECY-CLG`); unique whatever its case",
    ),
    AfterValidator(_code),
]
# Rooms and groups: upper case, so that `b104` finds `B104`.
RoomCode = Annotated[
    Text,
    Field(min_length=1, max_length=20, description="Letters, digits, hyphens; upper-cased"),
    AfterValidator(_upper_code),
]
GroupCode = Annotated[
    Text,
    Field(min_length=1, max_length=40, description="Letters, digits, hyphens; upper-cased"),
    AfterValidator(_upper_code),
]


def derived_prefix(code: str) -> str:
    """The hostname prefix a site gets when none is given: its code's letters and digits,
    accents removed, upper case, the first six (`Chécy-CLG` → `CHECYC`). Empty when the
    code has no ASCII letter or digit left."""
    return "".join(c for c in ascii_upper(code) if c.isascii() and c.isalnum())[:PREFIX_LENGTH]


def _hostname_prefix(value: str) -> str:
    prefix = value.upper()
    if not prefix.isascii() or not set(prefix) <= NETBIOS_CHARACTERS:
        raise ValueError("ASCII letters, digits and hyphens only (a NetBIOS name)")
    if prefix.startswith("-") or prefix.endswith("-"):
        raise ValueError("must not start or end with a hyphen")
    return prefix


def _department(value: str) -> str:
    department = value.upper()
    if not _DEPARTMENT.match(department):
        raise ValueError("a département number: 01 to 95, 2A, 2B, 971 to 976")
    return department


def _local_time(value: time) -> time:
    if value.tzinfo is not None:
        raise ValueError("a local wall-clock time of the site, without offset")
    return value


Uai = Annotated[
    Text,
    Field(max_length=20, description="7 characters and the check letter (`0450782F`)"),
    AfterValidator(normalise_uai),
]
Department = Annotated[
    Text,
    Field(max_length=3, description="`45`, `2A`, `971`: picks Alsace-Moselle's holidays"),
    AfterValidator(_department),
]
HostnamePrefix = Annotated[
    Text,
    Field(
        min_length=1,
        max_length=PREFIX_LENGTH,
        description="What the site's hostnames start with; derived from the code if not given",
    ),
    AfterValidator(_hostname_prefix),
]
Zone = Literal["A", "B", "C"]
LocalTime = Annotated[time, AfterValidator(_local_time)]


# --- opening hours and contacts --------------------------------------------------------------


class TimeRange(BaseModel):
    model_config = ConfigDict(extra="forbid")

    start: LocalTime = Field(description="Local wall-clock time, `08:00`")
    end: LocalTime = Field(description="After `start`")

    @field_validator("end")
    @classmethod
    def _ends_after_start(cls, value: time, info: ValidationInfo) -> time:
        start = info.data.get("start")
        if start is not None and value <= start:
            raise ValueError("must be after start")
        return value


class OpeningDay(BaseModel):
    """One weekday and its opening ranges, in order: `08:00-12:30`, `13:30-17:30`."""

    model_config = ConfigDict(extra="forbid")

    weekday: int = Field(ge=0, le=6, description="0 = Monday … 6 = Sunday")
    ranges: list[TimeRange] = Field(min_length=1, max_length=6)

    @field_validator("ranges")
    @classmethod
    def _in_order(cls, ranges: list[TimeRange]) -> list[TimeRange]:
        for index in range(1, len(ranges)):
            before, current = ranges[index - 1], ranges[index]
            if current.start < before.start:
                raise _error_at(
                    (index,), "ranges_order", "must come after the range before it", current
                )
            if current.start < before.end:
                overlap = f"overlaps the range before it ({before.start:%H:%M}-{before.end:%H:%M})"
                raise _error_at((index,), "ranges_overlap", overlap, current)
        return ranges


class Contact(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    name: Text = Field(min_length=1, max_length=200)
    role: Text | None = Field(default=None, max_length=100, description="`Principal adjoint`")
    email: Email | None = None
    phone: Phone | None = None


def _one_day_each(days: list[OpeningDay]) -> list[OpeningDay]:
    seen: set[int] = set()
    for index, day in enumerate(days):
        if day.weekday in seen:
            raise _error_at(
                (index, "weekday"),
                "weekday_repeated",
                "this weekday is already listed",
                day.weekday,
            )
        seen.add(day.weekday)
    return sorted(days, key=lambda day: day.weekday)


OpeningHours = Annotated[
    list[OpeningDay],
    Field(max_length=7, description="Each weekday at most once; a day not listed is closed"),
    AfterValidator(_one_day_each),
]
Contacts = Annotated[list[Contact], Field(max_length=20)]


# --- sites ---------------------------------------------------------------------------------


class SiteIn(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    code: SiteCode
    name: Text = Field(min_length=1, max_length=200)
    kind: SiteKind = SiteKind.COLLEGE
    uai: Uai | None = None
    department: Department | None = None
    zone: Zone = Field(description="School-holiday zone")
    address: Text | None = Field(default=None, min_length=1, max_length=500)
    opening_hours: OpeningHours = Field(default_factory=list)
    contacts: Contacts = Field(default_factory=list)
    active: bool = True
    hostname_prefix: HostnamePrefix | None = None


class SitePatch(BaseModel):
    """Only the fields sent change; `uai`, `department`, `address` null clear them, and
    `hostname_prefix` null derives it from the code again. The code never changes."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    name: Text | None = Field(default=None, min_length=1, max_length=200)
    kind: SiteKind | None = None
    uai: Uai | None = None
    department: Department | None = None
    zone: Zone | None = None
    address: Text | None = Field(default=None, min_length=1, max_length=500)
    opening_hours: OpeningHours | None = None
    contacts: Contacts | None = None
    active: bool | None = None
    hostname_prefix: HostnamePrefix | None = None

    @model_validator(mode="before")
    @classmethod
    def _code_is_fixed(cls, data: Any) -> Any:
        return _fixed_code(data, "site")

    @field_validator("name", "kind", "zone", "opening_hours", "contacts", "active")
    @classmethod
    def _required(cls, value: object) -> object:
        return _not_null(value)


class SiteOut(BaseModel):
    id: UUID
    code: str
    name: str
    kind: SiteKind
    kind_label: str
    uai: str | None
    department: str | None
    zone: str
    address: str | None
    opening_hours: list[OpeningDay]
    contacts: list[Contact]
    active: bool
    hostname_prefix: str
    created_at: datetime
    updated_at: datetime

    @classmethod
    def of(cls, site: Site) -> SiteOut:
        return cls(
            id=site.id,
            code=site.code,
            name=site.name,
            kind=site.kind,
            kind_label=SITE_KIND_LABELS[site.kind],
            uai=site.uai,
            department=site.department,
            zone=site.zone,
            address=site.address,
            opening_hours=site.opening_hours,
            contacts=site.contacts,
            active=site.active,
            hostname_prefix=site.hostname_prefix,
            created_at=site.created_at,
            updated_at=site.updated_at,
        )


# --- rooms and host groups ----------------------------------------------------------------------


class RoomIn(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    code: RoomCode
    name: Text = Field(min_length=1, max_length=200)
    kind: RoomKind = RoomKind.CLASSROOM


class RoomPatch(BaseModel):
    """Only the fields sent change; the code never does (remove the room, register
    another)."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    name: Text | None = Field(default=None, min_length=1, max_length=200)
    kind: RoomKind | None = None

    @model_validator(mode="before")
    @classmethod
    def _code_is_fixed(cls, data: Any) -> Any:
        return _fixed_code(data, "room")

    @field_validator("name", "kind")
    @classmethod
    def _required(cls, value: object) -> object:
        return _not_null(value)


class RoomOut(BaseModel):
    id: UUID
    site_code: str
    code: str
    name: str
    kind: RoomKind
    kind_label: str
    created_at: datetime

    @classmethod
    def of(cls, site: Site, room: Room) -> RoomOut:
        return cls(
            id=room.id,
            site_code=site.code,
            code=room.code,
            name=room.name,
            kind=room.kind,
            kind_label=ROOM_KIND_LABELS[room.kind],
            created_at=room.created_at,
        )


class GroupIn(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    code: GroupCode
    name: Text = Field(min_length=1, max_length=200, description="`Chariot mobile 1`")


class GroupPatch(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    name: Text | None = Field(default=None, min_length=1, max_length=200)

    @model_validator(mode="before")
    @classmethod
    def _code_is_fixed(cls, data: Any) -> Any:
        return _fixed_code(data, "group")

    @field_validator("name")
    @classmethod
    def _required(cls, value: object) -> object:
        return _not_null(value)


class GroupOut(BaseModel):
    id: UUID
    site_code: str
    code: str
    name: str
    created_at: datetime

    @classmethod
    def of(cls, site: Site, group: HostGroup) -> GroupOut:
        return cls(
            id=group.id,
            site_code=site.code,
            code=group.code,
            name=group.name,
            created_at=group.created_at,
        )
