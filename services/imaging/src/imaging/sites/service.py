"""Sites, their rooms and their host groups: the rules, and the events other services
build their read models from.

A site's code is its key everywhere (URLs, tokens' `sites`, events' subject), unique and
found whatever its case; it never changes. Rooms are removed, not deleted: hosts keep the
room in their history, and the code is free for a new room. Every site and room event
carries the row's version, so `republish` can send the whole park again and consumers,
keeping the highest version, change nothing."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import datetime
from typing import Any

from pydantic import BaseModel
from sqlalchemy.ext.asyncio import AsyncSession

from guichet_common.events import Event, new_event_id, utcnow
from guichet_common.http import InvalidInput, NotFound, check_if_match
from guichet_common.logging import get_logger
from guichet_common.pagination import Paged, PageRequest
from imaging.errors import AlreadyExists
from imaging.events import (
    RoomRegisteredV1,
    RoomRemovedV1,
    RoomUpdatedV1,
    SiteRegisteredV1,
    SiteUpdatedV1,
    outbox,
)
from imaging.sites import repository
from imaging.sites.models import HostGroup, Room, RoomKind, Site
from imaging.sites.schemas import (
    ROOM_KIND_LABELS,
    SITE_KIND_LABELS,
    GroupIn,
    GroupPatch,
    RoomIn,
    RoomPatch,
    SiteIn,
    SitePatch,
    derived_prefix,
)

log = get_logger(__name__)

# What the JSONB columns hold: the schemas' JSON form (times as `08:00:00`).
_JSON_FIELDS = frozenset({"opening_hours", "contacts"})


def _as_json(items: Sequence[BaseModel]) -> list[dict[str, Any]]:
    return [item.model_dump(mode="json") for item in items]


def _changes(data: BaseModel) -> dict[str, Any]:
    """The fields a patch sent, as the columns store them."""
    changes = data.model_dump(exclude_unset=True, exclude=set(_JSON_FIELDS))
    changes.update(data.model_dump(mode="json", exclude_unset=True, include=set(_JSON_FIELDS)))
    return changes


def _apply(entity: Site | Room | HostGroup, changes: dict[str, Any]) -> list[str]:
    """Set what differs; the names of what did (none: nothing to write, no event)."""
    changed = {name: value for name, value in changes.items() if getattr(entity, name) != value}
    for name, value in changed.items():
        setattr(entity, name, value)
    return sorted(changed)


def _hostname_prefix(code: str) -> str:
    prefix = derived_prefix(code)
    if not prefix:
        raise InvalidInput(
            f"the code {code} has no ASCII letter or digit to derive a hostname prefix from: "
            "give hostname_prefix",
            field="hostname_prefix",
        )
    return prefix


# --- events ----------------------------------------------------------------------------------


def site_event_fields(site: Site) -> dict[str, object]:
    """What every site event carries: the site as it is now, its version included."""
    return {
        "site_id": site.id,
        "site_code": site.code,
        "version": site.version,
        "name": site.name,
        "kind": site.kind.value,
        "kind_label": SITE_KIND_LABELS[site.kind],
        "uai": site.uai,
        "department": site.department,
        "zone": site.zone,
        "address": site.address,
        "opening_hours": site.opening_hours,
        "contacts": site.contacts,
        "active": site.active,
        "hostname_prefix": site.hostname_prefix,
    }


def room_event_fields(site: Site, room: Room) -> dict[str, object]:
    """What every room event carries: the room as it is now, its version included."""
    return {
        "room_id": room.id,
        "site_code": site.code,
        "room_code": room.code,
        "version": room.version,
        "name": room.name,
        "kind": room.kind.value,
        "kind_label": ROOM_KIND_LABELS[room.kind],
    }


async def republish(session: AsyncSession) -> int:
    """Every site and every live room as `…updated.v1`, with their current version (for a
    consumer that came later, or lost its read model); the number of events written."""
    sites = await repository.all_sites(session)
    by_id = {site.id: site for site in sites}
    events: list[tuple[Event, str | None]] = [
        (SiteUpdatedV1(**site_event_fields(site)), site.code) for site in sites
    ]
    for room in await repository.all_live_rooms(session):
        site = by_id[room.site_id]
        events.append((RoomUpdatedV1(**room_event_fields(site, room)), site.code))
    await outbox.publish_many(session, events)
    return len(events)


# --- sites -------------------------------------------------------------------------------------


async def get_site(session: AsyncSession, code: str, *, for_update: bool = False) -> Site:
    site = await repository.find_site(session, code, for_update=for_update)
    if site is None:
        raise NotFound(f"no site {code}")
    return site


async def list_sites(
    session: AsyncSession,
    page: PageRequest,
    *,
    covered: Collection[str] | None = None,
    zone: str | None = None,
    department: str | None = None,
    active: bool | None = None,
    q: str | None = None,
) -> Paged[Site]:
    return await repository.list_sites(
        session,
        page,
        covered=covered,
        zone=zone,
        department=department.upper() if department is not None else None,
        active=active,
        q=q,
    )


async def _save_site(session: AsyncSession, site: Site, code: str, uai: str | None) -> None:
    conflict = await repository.save_unique(session, site)
    if conflict == "uq_site_code_folded":
        raise AlreadyExists(f"a site with the code {code} already exists", field="code")
    if conflict == "uq_site_uai":
        raise AlreadyExists(f"a site with the UAI {uai} already exists", field="uai")
    if conflict is not None:
        raise AssertionError(f"unexpected unique index {conflict}")


async def register_site(session: AsyncSession, data: SiteIn, *, actor: str) -> Site:
    """A new site (409 on a code or UAI already taken); `imaging.site.registered.v1`."""
    site = Site(
        id=new_event_id(),
        **data.model_dump(exclude={"hostname_prefix", *_JSON_FIELDS}),
        opening_hours=_as_json(data.opening_hours),
        contacts=_as_json(data.contacts),
        hostname_prefix=data.hostname_prefix or _hostname_prefix(data.code),
    )
    await _save_site(session, site, data.code, data.uai)
    await outbox.publish(session, SiteRegisteredV1(**site_event_fields(site)), subject=site.code)
    log.info("site registered", site=site.code, actor=actor)
    return site


async def update_site(
    session: AsyncSession, code: str, data: SitePatch, *, if_match: str | None, actor: str
) -> Site:
    """Only the fields sent change; a patch that changes nothing writes nothing and
    publishes nothing. `imaging.site.updated.v1` otherwise."""
    site = await get_site(session, code, for_update=True)
    check_if_match(if_match, site.version)
    changes = _changes(data)
    if "hostname_prefix" in changes and changes["hostname_prefix"] is None:
        changes["hostname_prefix"] = _hostname_prefix(site.code)
    site_code = site.code  # for the 409: a refused write expires the site's attributes
    changed = _apply(site, changes)
    if not changed:
        return site
    await _save_site(session, site, site_code, changes.get("uai"))
    await outbox.publish(session, SiteUpdatedV1(**site_event_fields(site)), subject=site.code)
    log.info("site updated", site=site.code, actor=actor, fields=changed)
    return site


# --- rooms -------------------------------------------------------------------------------------


async def get_room(
    session: AsyncSession, site: Site, room_code: str, *, for_update: bool = False
) -> Room:
    """A live room of the site, its code in any case (404 once removed)."""
    room = await repository.find_room(session, site, room_code.upper(), for_update=for_update)
    if room is None:
        raise NotFound(f"no room {room_code} at site {site.code}")
    return room


async def list_rooms(
    session: AsyncSession, site: Site, page: PageRequest, *, kind: RoomKind | None = None
) -> Paged[Room]:
    return await repository.list_rooms(session, site, page, kind=kind)


async def register_room(session: AsyncSession, site: Site, data: RoomIn) -> Room:
    """A new room (409 on a code a live room of the site holds);
    `imaging.room.registered.v1`."""
    room = Room(id=new_event_id(), site_id=site.id, **data.model_dump())
    if await repository.save_unique(session, room) is not None:
        raise AlreadyExists(f"site {site.code} already has a room {data.code}", field="code")
    await outbox.publish(
        session, RoomRegisteredV1(**room_event_fields(site, room)), subject=site.code
    )
    return room


async def update_room(
    session: AsyncSession, site: Site, room_code: str, data: RoomPatch, *, if_match: str | None
) -> Room:
    room = await get_room(session, site, room_code, for_update=True)
    check_if_match(if_match, room.version)
    if _apply(room, _changes(data)):
        await repository.save(session, room)
        await outbox.publish(
            session, RoomUpdatedV1(**room_event_fields(site, room)), subject=site.code
        )
    return room


async def remove_room(
    session: AsyncSession,
    site: Site,
    room_code: str,
    *,
    if_match: str | None,
    now: datetime | None = None,
) -> None:
    """The room leaves the lists and its code is free; hosts keep it in their history.
    `imaging.room.removed.v1`."""
    room = await get_room(session, site, room_code, for_update=True)
    check_if_match(if_match, room.version)
    room.removed_at = now or utcnow()
    await repository.save(session, room)
    await outbox.publish(session, RoomRemovedV1(**room_event_fields(site, room)), subject=site.code)


# --- host groups -------------------------------------------------------------------------------


async def get_group(
    session: AsyncSession, site: Site, group_code: str, *, for_update: bool = False
) -> HostGroup:
    """A host group of the site, its code in any case."""
    group = await repository.find_group(session, site, group_code.upper(), for_update=for_update)
    if group is None:
        raise NotFound(f"no host group {group_code} at site {site.code}")
    return group


async def get_groups(session: AsyncSession, site: Site, codes: Sequence[str]) -> list[HostGroup]:
    """The site's groups with these codes (in any case), in their order; 422 naming
    `groups.N` for the first one the site has not."""
    found = await repository.find_groups(session, site, [code.upper() for code in codes])
    for index, code in enumerate(codes):
        if code.upper() not in found:
            raise InvalidInput(f"no host group {code} at site {site.code}", field=f"groups.{index}")
    return [found[code.upper()] for code in codes]


async def list_groups(session: AsyncSession, site: Site, page: PageRequest) -> Paged[HostGroup]:
    return await repository.list_groups(session, site, page)


async def register_group(session: AsyncSession, site: Site, data: GroupIn) -> HostGroup:
    group = HostGroup(id=new_event_id(), site_id=site.id, **data.model_dump())
    if await repository.save_unique(session, group) is not None:
        raise AlreadyExists(f"site {site.code} already has a group {data.code}", field="code")
    return group


async def update_group(
    session: AsyncSession, site: Site, group_code: str, data: GroupPatch, *, if_match: str | None
) -> HostGroup:
    group = await get_group(session, site, group_code, for_update=True)
    check_if_match(if_match, group.version)
    if _apply(group, _changes(data)):
        await repository.save(session, group)
    return group


async def delete_group(
    session: AsyncSession, site: Site, group_code: str, *, if_match: str | None
) -> None:
    """The group goes; its memberships (the hosts package's) go with it."""
    group = await get_group(session, site, group_code, for_update=True)
    check_if_match(if_match, group.version)
    await repository.delete(session, group)
