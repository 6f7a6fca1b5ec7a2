"""Events imaging publishes (payload models, frozen; a breaking change is a new major).

They carry what other services' read models need, labels included, so no consumer copies
imaging's tables: a site with its zone, département, opening hours and contacts; a room; a
host with its asset tag, hostname, room and model. Every payload carries the row's
`version`: a consumer keeps the highest it has seen, so a republished or replayed event
changes nothing (`guichet imaging republish`)."""

from __future__ import annotations

from datetime import date, datetime, time
from uuid import UUID

from pydantic import BaseModel, ConfigDict

from guichet_common.events import Event, EventRegistry
from guichet_common.outbox import Outbox
from imaging.db import plumbing
from imaging.settings import SERVICE

published = EventRegistry()
outbox = Outbox(SERVICE, plumbing)


class TimeRange(BaseModel):
    model_config = ConfigDict(frozen=True)

    start: time
    end: time


class OpeningDay(BaseModel):
    """One weekday (0 = Monday) and its ranges: 08:00 to 12:30, 14:00 to 18:30."""

    model_config = ConfigDict(frozen=True)

    weekday: int
    ranges: list[TimeRange]


class Contact(BaseModel):
    model_config = ConfigDict(frozen=True)

    name: str
    role: str | None = None
    email: str | None = None
    phone: str | None = None


class SiteEvent(Event):
    site_id: UUID
    site_code: str
    version: int
    name: str
    kind: str  # college | lycee | department_office
    kind_label: str  # "Collège"
    uai: str | None
    department: str | None  # "45"; "57", "67", "68": Alsace-Moselle's public holidays
    zone: str  # school-holiday zone A, B or C
    address: str | None
    opening_hours: list[OpeningDay]
    contacts: list[Contact]
    active: bool
    hostname_prefix: str


@published.register
class SiteRegisteredV1(SiteEvent):
    event_type = "imaging.site.registered.v1"


@published.register
class SiteUpdatedV1(SiteEvent):
    event_type = "imaging.site.updated.v1"


class RoomEvent(Event):
    room_id: UUID
    site_code: str
    room_code: str
    version: int
    name: str
    kind: str  # classroom | lab | cdi | office | server_room
    kind_label: str  # "Salle de classe", "CDI"


@published.register
class RoomRegisteredV1(RoomEvent):
    event_type = "imaging.room.registered.v1"


@published.register
class RoomUpdatedV1(RoomEvent):
    event_type = "imaging.room.updated.v1"


@published.register
class RoomRemovedV1(RoomEvent):
    event_type = "imaging.room.removed.v1"


class HostEvent(Event):
    host_id: UUID
    site_code: str
    room_code: str | None
    version: int
    asset_tag: str  # the "GPI" label
    hostname: str
    serial: str | None
    macs: list[str]
    make: str | None
    model: str | None
    kind: str  # desktop | laptop | tablet | copier | printer | server | network_device
    kind_label: str  # "Poste fixe"
    network: str  # admin | pedagogy
    network_label: str  # "Administratif", "Pédagogique"
    status: str  # in_service | in_repair | stored | retired
    status_label: str  # "En service"
    purchase_date: date | None
    warranty_end: date | None


@published.register
class HostRegisteredV1(HostEvent):
    event_type = "imaging.host.registered.v1"


@published.register
class HostUpdatedV1(HostEvent):
    event_type = "imaging.host.updated.v1"


@published.register
class HostRenamedV1(HostEvent):
    event_type = "imaging.host.renamed.v1"
    previous_hostname: str


@published.register
class HostRetiredV1(HostEvent):
    event_type = "imaging.host.retired.v1"
    name_free_from: datetime  # the name is reserved until then (the domain's quarantine)


class InventoryChange(BaseModel):
    """What an inventory found different from the previous one, in French for people."""

    model_config = ConfigDict(frozen=True)

    # memory | storage | cpu | os | bios | network | software_installed | software_removed
    # | software_updated
    kind: str
    label: str  # "Mémoire : 4 Go → 8 Go"


@published.register
class InventoryReportedV1(Event):
    event_type = "imaging.host.inventory_reported.v1"
    host_id: UUID
    site_code: str
    asset_tag: str
    hostname: str
    reported_at: datetime
    agent: str  # "GLPI-Agent_v1.7", or the masterisation script's name
    first: bool  # the host's first inventory: no changes to report
    changes: list[InventoryChange]
