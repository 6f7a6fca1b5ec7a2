"""Hosts: registered (and named), changed, renamed, retired; their events.

A host's name comes from its site's naming policy, or is given (a name already on the
domain, kept as it is). Either way it is reserved in the register in the host's
transaction: a name another host holds, or one in quarantine, is refused (409 naming the
holder, or the end of the quarantine). A host keeps its name until it is renamed or
retired, whatever else changes (room, kind, network; a reimage changes nothing here);
then the name stays reserved for `hostname_quarantine_days`, the time the domain keeps
the computer account, and is free again afterwards.

The inventory package changes hosts too: it loads them with `repository.find_by_*` or
`get_host`, sets attributes (relationships, not ids: `host.room = room`), saves with
`save_host` and announces the change with `publish_updated`."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime, timedelta
from typing import Any
from uuid import UUID

from sqlalchemy.ext.asyncio import AsyncSession

from guichet_common.auth import Principal
from guichet_common.events import Event, new_event_id
from guichet_common.http import Conflict, InvalidInput, NotFound, check_if_match
from guichet_common.pagination import Paged, PageRequest
from imaging.deps import check_site
from imaging.errors import AlreadyExists, HostnameTaken
from imaging.events import (
    HostRegisteredV1,
    HostRenamedV1,
    HostRetiredV1,
    HostUpdatedV1,
    outbox,
)
from imaging.hosts import repository
from imaging.hosts.models import Host, HostMac, HostStatus
from imaging.hosts.schemas import STATUS_LABELS, HostIn, HostPatch, RenameIn
from imaging.naming import service as naming
from imaging.naming.models import HostKind, Network
from imaging.naming.schemas import KIND_LABELS, NETWORK_LABELS, NameValues
from imaging.normalisation import normalise_mac
from imaging.settings import ImagingSettings
from imaging.sites import service as sites
from imaging.sites.models import Room, Site

REPUBLISH_BATCH = 500

# --- events --------------------------------------------------------------------------------


def host_event_fields(
    host: Host, site_code: str, room_code: str | None, macs: Sequence[str]
) -> dict[str, Any]:
    """What every host event carries: the host as it is now, its version included."""
    return {
        "host_id": host.id,
        "site_code": site_code,
        "room_code": room_code,
        "version": host.version,
        "asset_tag": host.asset_tag,
        "hostname": host.hostname,
        "serial": host.serial,
        "macs": sorted(macs),
        "make": host.make,
        "model": host.model,
        "kind": host.kind.value,
        "kind_label": KIND_LABELS[host.kind],
        "network": host.network.value,
        "network_label": NETWORK_LABELS[host.network],
        "status": host.status.value,
        "status_label": STATUS_LABELS[host.status],
        "purchase_date": host.purchase_date,
        "warranty_end": host.warranty_end,
    }


def _fields(host: Host) -> dict[str, Any]:
    room_code = host.room.code if host.room is not None else None
    return host_event_fields(host, host.site.code, room_code, [m.mac for m in host.macs])


async def publish_updated(session: AsyncSession, host: Host) -> None:
    """`imaging.host.updated.v1` for a host just saved (its site, room and MACs loaded)."""
    await outbox.publish(session, HostUpdatedV1(**_fields(host)), subject=host.asset_tag)


async def republish(session: AsyncSession) -> int:
    """Every host as `imaging.host.updated.v1` with its current version (for a consumer
    that came later or lost its read model), in batches: two queries and one insert per
    batch. The number of events written."""
    published = 0
    after: UUID | None = None
    while batch := await repository.batch_after(session, after, REPUBLISH_BATCH):
        events: list[tuple[Event, str | None]] = [
            (HostUpdatedV1(**_fields(host)), host.asset_tag) for host in batch
        ]
        await outbox.publish_many(session, events)
        published += len(batch)
        after = batch[-1].id
    return published


# --- what a host refers to -------------------------------------------------------------------


async def _site(session: AsyncSession, code: str) -> Site:
    try:
        return await sites.get_site(session, code)
    except NotFound as exc:
        raise InvalidInput(f"no site {code}", field="site_code") from exc


async def _room(session: AsyncSession, site: Site, code: str | None) -> Room | None:
    if code is None:
        return None
    try:
        return await sites.get_room(session, site, code)
    except NotFound as exc:
        raise InvalidInput(f"no room {code} at site {site.code}", field="room_code") from exc


# --- names -----------------------------------------------------------------------------------


def _name_values(
    site: Site, network: Network, kind: HostKind, asset_tag: str, room: Room | None
) -> NameValues:
    return NameValues(
        prefix=site.hostname_prefix,
        network=network,
        kind=kind,
        asset_tag=asset_tag,
        room_code=room.code if room is not None else None,
    )


async def _taken(session: AsyncSession, name: str) -> HostnameTaken:
    """The 409 for a name the register refused: who holds it, or until when it rests."""
    entry = await naming.entry(session, name)
    holder = await repository.get(session, entry.host_id) if entry is not None else None
    who = (
        {"asset_tag": holder.asset_tag, "site_code": holder.site.code}
        if holder is not None
        else None
    )
    if entry is not None and entry.free_from is not None:
        until = entry.free_from.isoformat(timespec="minutes")
        return HostnameTaken(
            f"{name} is in quarantine until {until}: the domain may still hold its computer "
            "account",
            field="hostname",
            hostname=name,
            free_from=entry.free_from.isoformat(),
            last_held_by=who,
        )
    return HostnameTaken(
        f"{name} is held by host {who['asset_tag']} (site {who['site_code']})"
        if who is not None
        else f"{name} was reserved at the same moment by another host",
        field="hostname",
        hostname=name,
        held_by=who,
    )


async def _reserve(session: AsyncSession, name: str, host_id: UUID, now: datetime) -> str:
    if not await naming.reserve(session, name, host_id, now):
        raise await _taken(session, name)
    return name


async def _name_by_policy(
    session: AsyncSession,
    site: Site,
    values: NameValues,
    host_id: UUID,
    now: datetime,
    *,
    current: str | None = None,
) -> str:
    """The next name of the host's policy, reserved (`current`: the name it lets go)."""
    policy, pattern = await naming.pattern_for(session, site, values)
    if pattern.width is not None:
        return await naming.allocate(
            session, policy, pattern, host_id=host_id, now=now, exclude=current
        )
    name = pattern.name()
    if name == current:
        raise InvalidInput(
            f"{naming.describe(policy)} gives this host the name it has: give a hostname",
            field="hostname",
        )
    return await _reserve(session, name, host_id, now)


# --- hosts -----------------------------------------------------------------------------------


async def get_host(session: AsyncSession, asset_tag: str, *, for_update: bool = False) -> Host:
    host = await repository.find_by_asset_tag(session, asset_tag, for_update=for_update)
    if host is None:
        raise NotFound(f"no host with the asset tag {asset_tag}")
    return host


async def save_host(session: AsyncSession, host: Host, *, now: datetime) -> None:
    """Write a changed host; its version is bumped even when only its MACs or groups
    changed (they are part of what its ETag stands for)."""
    host.updated_at = now
    await repository.save(session, host)


async def list_hosts(
    session: AsyncSession,
    principal: Principal,
    page: PageRequest,
    *,
    site_code: str | None = None,
    room_code: str | None = None,
    status: HostStatus | None = None,
    kind: HostKind | None = None,
    network: Network | None = None,
    q: str | None = None,
) -> Paged[Host]:
    """A caller limited to some sites sees their hosts only (403 filtering on another)."""
    if site_code is not None:
        check_site(principal, site_code)
    covered = {s.upper() for s in principal.sites} if principal.sites is not None else None
    mac = None
    if q is not None:
        try:
            mac = normalise_mac(q)
        except ValueError:
            mac = None
    return await repository.list_hosts(
        session,
        page,
        covered=covered,
        site_code=site_code,
        room_code=room_code,
        status=status,
        kind=kind,
        network=network,
        q=q,
        mac=mac,
    )


async def register_host(
    session: AsyncSession, settings: ImagingSettings, data: HostIn, *, actor: str, now: datetime
) -> Host:
    """A new host, named by its site's policy or with the name given; 422 naming the field
    for an unknown site, room or group, 409 for an asset tag or a name taken.
    `imaging.host.registered.v1`.

    A host registered as retired (the past of the park, from an import) keeps the name it
    had, which it no longer holds: free, the name goes into quarantine from now (the
    domain may still have its account); held by another host, it stays theirs."""
    retired = data.status == HostStatus.RETIRED
    if retired and data.hostname is None:
        raise InvalidInput(
            "a host registered as retired needs the hostname it had", field="hostname"
        )
    site = await _site(session, data.site_code)
    room = await _room(session, site, data.room_code)
    groups = await sites.get_groups(session, site, data.groups)
    existing = await repository.find_by_asset_tag(session, data.asset_tag)
    if existing is not None:
        raise _asset_tag_taken(data.asset_tag, existing)
    host = Host(
        id=new_event_id(),
        site=site,
        room=room,
        asset_tag=data.asset_tag,
        serial=data.serial,
        make=data.make,
        model=data.model,
        kind=data.kind,
        network=data.network,
        status=data.status,
        purchase_date=data.purchase_date,
        warranty_end=data.warranty_end,
        registered_by=actor,
        retired_at=now if retired else None,
        macs=[HostMac(mac=mac) for mac in data.macs],
        groups=groups,
    )
    if retired and data.hostname is not None:
        host.hostname = data.hostname
    elif data.hostname is not None:
        host.hostname = await _reserve(session, data.hostname, host.id, now)
    else:
        values = _name_values(site, data.network, data.kind, data.asset_tag, room)
        host.hostname = await _name_by_policy(session, site, values, host.id, now)
    refused = await repository.insert(session, host)
    if refused is not None:  # the same asset tag, registered at the same moment
        if not retired:
            await naming.unreserve(session, host.hostname, host.id)
        raise AlreadyExists(
            f"the asset tag {data.asset_tag} was registered at the same moment by another request",
            field="asset_tag",
        )
    if retired and await naming.reserve(session, host.hostname, host.id, now):
        await naming.release(
            session, host.hostname, host.id, now=now, free_from=_free_from(settings, now)
        )
    await outbox.publish(session, HostRegisteredV1(**_fields(host)), subject=host.asset_tag)
    return host


def _asset_tag_taken(asset_tag: str, holder: Host) -> AlreadyExists:
    return AlreadyExists(
        f"the asset tag {asset_tag} is already host {holder.hostname}'s (site {holder.site.code})",
        field="asset_tag",
        held_by={"hostname": holder.hostname, "site_code": holder.site.code},
    )


async def _for_write(
    session: AsyncSession, asset_tag: str, principal: Principal, if_match: str | None
) -> Host:
    """The host locked, if the caller covers its site and read its current version; a
    retired host is kept as it was (409)."""
    host = await get_host(session, asset_tag, for_update=True)
    check_site(principal, host.site.code)
    check_if_match(if_match, host.version)
    if host.status == HostStatus.RETIRED:
        raise Conflict(f"host {host.asset_tag} is retired: it is kept as it was")
    return host


def _check_dates(purchase_date: date | None, warranty_end: date | None, changed: set[str]) -> None:
    if purchase_date is not None and warranty_end is not None and warranty_end < purchase_date:
        field = "warranty_end" if "warranty_end" in changed else "purchase_date"
        raise InvalidInput("warranty_end must not be before purchase_date", field=field)


async def update_host(
    session: AsyncSession,
    asset_tag: str,
    data: HostPatch,
    *,
    principal: Principal,
    if_match: str | None,
    now: datetime,
) -> Host:
    """Only the fields sent change; a patch that changes nothing writes nothing. The name
    stays, whatever changes (kind and network included). `imaging.host.updated.v1`."""
    host = await _for_write(session, asset_tag, principal, if_match)
    changes = data.model_dump(exclude_unset=True)
    changed = False
    if "room_code" in changes:
        room = await _room(session, host.site, changes.pop("room_code"))
        if room is not host.room:
            host.room, changed = room, True
    if "groups" in changes:
        groups = await sites.get_groups(session, host.site, changes.pop("groups"))
        if {g.id for g in groups} != {g.id for g in host.groups}:
            host.groups, changed = groups, True
    if "macs" in changes:
        macs: list[str] = changes.pop("macs")
        if sorted(macs) != sorted(m.mac for m in host.macs):
            kept = {m.mac: m for m in host.macs}
            host.macs, changed = [kept.get(mac) or HostMac(mac=mac) for mac in macs], True
    _check_dates(
        changes.get("purchase_date", host.purchase_date),
        changes.get("warranty_end", host.warranty_end),
        set(changes),
    )
    for name, value in changes.items():
        if getattr(host, name) != value:
            setattr(host, name, value)
            changed = True
    if changed:
        await save_host(session, host, now=now)
        await publish_updated(session, host)
    return host


async def rename_host(
    session: AsyncSession,
    settings: ImagingSettings,
    asset_tag: str,
    data: RenameIn,
    *,
    principal: Principal,
    if_match: str | None,
    now: datetime,
) -> Host:
    """The name given (if free) or the next one of the site's policy; the old name goes
    into quarantine. `imaging.host.renamed.v1` with `previous_hostname`."""
    host = await _for_write(session, asset_tag, principal, if_match)
    previous = host.hostname
    if data.hostname == previous:
        raise InvalidInput(f"{previous} is this host's name already", field="hostname")
    # Let the old name go first: a host holds one name at a time. A refusal below undoes
    # it with the rest of the transaction.
    await naming.release(session, previous, host.id, now=now, free_from=_free_from(settings, now))
    if data.hostname is not None:
        host.hostname = await _reserve(session, data.hostname, host.id, now)
    else:
        values = _name_values(host.site, host.network, host.kind, host.asset_tag, host.room)
        host.hostname = await _name_by_policy(
            session, host.site, values, host.id, now, current=previous
        )
    await save_host(session, host, now=now)
    await outbox.publish(
        session,
        HostRenamedV1(**_fields(host), previous_hostname=previous),
        subject=host.asset_tag,
    )
    return host


def _free_from(settings: ImagingSettings, now: datetime) -> datetime:
    return now + timedelta(days=settings.hostname_quarantine_days)


async def retire_host(
    session: AsyncSession,
    settings: ImagingSettings,
    asset_tag: str,
    *,
    principal: Principal,
    if_match: str | None,
    now: datetime,
) -> tuple[Host, datetime]:
    """The host leaves the park for good; its name rests in quarantine until the moment
    returned. `imaging.host.retired.v1` with `name_free_from`."""
    host = await _for_write(session, asset_tag, principal, if_match)
    free_from = _free_from(settings, now)
    await naming.release(session, host.hostname, host.id, now=now, free_from=free_from)
    host.status = HostStatus.RETIRED
    host.retired_at = now
    await save_host(session, host, now=now)
    await outbox.publish(
        session,
        HostRetiredV1(**_fields(host), name_free_from=free_from),
        subject=host.asset_tag,
    )
    return host, free_from
