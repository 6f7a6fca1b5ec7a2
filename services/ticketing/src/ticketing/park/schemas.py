"""Imaging's events as ticketing reads them: the fields its read model needs, no more
(unknown fields are ignored; imaging's contract is checked in the event-contract tests)."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from pydantic import BaseModel

from guichet_common.events import Event


class SiteChanged(Event):
    site_id: UUID
    site_code: str
    version: int
    name: str
    kind_label: str
    department: str | None
    zone: str
    address: str | None = None
    opening_hours: list[dict[str, Any]]
    contacts: list[dict[str, Any]]
    active: bool


class SiteRegisteredV1(SiteChanged):
    event_type = "imaging.site.registered.v1"


class SiteUpdatedV1(SiteChanged):
    event_type = "imaging.site.updated.v1"


class RoomChanged(Event):
    room_id: UUID
    site_code: str
    room_code: str
    version: int
    name: str
    kind_label: str


class RoomRegisteredV1(RoomChanged):
    event_type = "imaging.room.registered.v1"


class RoomUpdatedV1(RoomChanged):
    event_type = "imaging.room.updated.v1"


class RoomRemovedV1(RoomChanged):
    event_type = "imaging.room.removed.v1"


class HostChanged(Event):
    host_id: UUID
    site_code: str
    room_code: str | None
    version: int
    asset_tag: str
    hostname: str
    make: str | None
    model: str | None
    kind_label: str
    status: str


class HostRegisteredV1(HostChanged):
    event_type = "imaging.host.registered.v1"


class HostUpdatedV1(HostChanged):
    event_type = "imaging.host.updated.v1"


class HostRenamedV1(HostChanged):
    event_type = "imaging.host.renamed.v1"


class HostRetiredV1(HostChanged):
    event_type = "imaging.host.retired.v1"


CONSUMED: tuple[type[SiteChanged] | type[RoomChanged] | type[HostChanged], ...] = (
    SiteRegisteredV1,
    SiteUpdatedV1,
    RoomRegisteredV1,
    RoomUpdatedV1,
    RoomRemovedV1,
    HostRegisteredV1,
    HostUpdatedV1,
    HostRenamedV1,
    HostRetiredV1,
)


# --- what the API returns of the read model (the intake form's pickers) ---------------------


class ParkSiteOut(BaseModel):
    code: str
    name: str
    kind_label: str
    department: str | None
    zone: str
    active: bool


class ParkHostOut(BaseModel):
    asset_tag: str
    site_code: str
    room_code: str | None
    hostname: str
    make: str | None
    model: str | None
    kind_label: str
    status: str
