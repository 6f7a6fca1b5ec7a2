"""SQL for hosts, their MAC addresses and groups. The inventory package matches the
machines that report with `find_by_asset_tag`, `find_by_serial` and `find_by_macs`."""

from __future__ import annotations

import contextlib
from collections.abc import Collection, Sequence
from uuid import UUID

import asyncpg
from sqlalchemy import String, bindparam, func, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import raiseload

from guichet_common.pagination import KeysetOrder, Paged, PageRequest, paginate
from imaging.hosts.models import Host, HostMac, HostStatus, fold_asset_tag, fold_serial
from imaging.naming.models import HostKind, Network
from imaging.normalisation import normalise_mac
from imaging.sites.models import Room, Site

HOST_ORDER = KeysetOrder((Host.hostname, Host.id))

# Hosts in service first, then the most recent: the likeliest match of a machine.
_matching_order = (Host.status == HostStatus.RETIRED, Host.created_at.desc(), Host.id)
_by_asset_tag = select(Host).where(Host.asset_tag == bindparam("asset_tag", type_=String))
# Locked, and read again: a host already in the session would keep its values from before
# the lock otherwise (SQLAlchemy's identity map), and write over what another committed.
_by_asset_tag_for_update = _by_asset_tag.with_for_update(of=Host).execution_options(
    populate_existing=True
)
_by_id = select(Host).where(Host.id == bindparam("host_id"))
_by_serial = (
    select(Host).where(Host.serial == bindparam("serial", type_=String)).order_by(*_matching_order)
)
# Events need neither the groups nor anything but the hosts' own rows, site, room and MACs.
_batch = select(Host).options(raiseload(Host.groups)).order_by(Host.id).limit(bindparam("limit"))


async def save(session: AsyncSession, host: Host) -> None:
    """Write what changed on a loaded host (its version checked and bumped)."""
    session.add(host)
    await session.flush()


async def insert(session: AsyncSession, host: Host) -> str | None:
    """Insert a new host, its MACs and group memberships; when a unique index refuses it
    (an asset tag registered at the same moment), nothing is written and the index's name
    is returned. A savepoint keeps the transaction usable."""
    try:
        async with session.begin_nested():
            session.add(host)
            await session.flush()
    except IntegrityError as exc:
        cause = exc.orig.__cause__ if exc.orig is not None else None
        if isinstance(cause, asyncpg.UniqueViolationError):
            return str(cause.constraint_name)
        raise
    return None


async def find_by_asset_tag(
    session: AsyncSession, asset_tag: str, *, for_update: bool = False
) -> Host | None:
    """The host with this asset tag, in whatever case it is given."""
    statement = _by_asset_tag_for_update if for_update else _by_asset_tag
    found: Host | None = await session.scalar(statement, {"asset_tag": fold_asset_tag(asset_tag)})
    return found


async def get(session: AsyncSession, host_id: UUID) -> Host | None:
    found: Host | None = await session.scalar(_by_id, {"host_id": host_id})
    return found


async def find_by_serial(session: AsyncSession, serial: str) -> list[Host]:
    """Hosts with this serial number (any case), those in service first."""
    folded = fold_serial(serial)
    if not folded:
        return []
    return list((await session.scalars(_by_serial, {"serial": folded})).all())


async def find_by_macs(session: AsyncSession, macs: Sequence[str]) -> dict[str, list[Host]]:
    """For each MAC address (in any usual spelling; others are left out), the hosts that
    have it, those in service first: several when an adapter moved from host to host. One
    query for them all."""
    canonical = set()
    for mac in macs:
        with contextlib.suppress(ValueError):
            canonical.add(normalise_mac(mac))
    if not canonical:
        return {}
    statement = (
        select(HostMac.mac, Host)
        .join(Host, Host.id == HostMac.host_id)
        .where(HostMac.mac.in_(canonical))
        .order_by(*_matching_order)
    )
    found: dict[str, list[Host]] = {}
    for mac, host in await session.execute(statement):
        found.setdefault(mac, []).append(host)
    return found


async def list_hosts(
    session: AsyncSession,
    page: PageRequest,
    *,
    covered: Collection[str] | None = None,
    site_code: str | None = None,
    room_code: str | None = None,
    status: HostStatus | None = None,
    kind: HostKind | None = None,
    network: Network | None = None,
    q: str | None = None,
    mac: str | None = None,
) -> Paged[Host]:
    """By hostname. `covered`: the site codes of a caller limited to some; `q`: part of
    the hostname, asset tag or serial number, or (`mac`) one of the host's addresses."""
    statement = select(Host)
    if covered is not None:
        statement = statement.where(Host.site.has(func.upper(Site.code).in_(covered)))
    if site_code is not None:
        statement = statement.where(Host.site.has(func.upper(Site.code) == site_code.upper()))
    if room_code is not None:
        statement = statement.where(Host.room.has(Room.code == room_code.upper()))
    if status is not None:
        statement = statement.where(Host.status == status)
    if kind is not None:
        statement = statement.where(Host.kind == kind)
    if network is not None:
        statement = statement.where(Host.network == network)
    if q is not None:
        matches = [
            Host.hostname.icontains(q, autoescape=True),
            Host.asset_tag.icontains(q, autoescape=True),
            Host.serial.icontains(q, autoescape=True),
        ]
        if mac is not None:
            matches.append(Host.id.in_(select(HostMac.host_id).where(HostMac.mac == mac)))
        statement = statement.where(or_(*matches))
    return await paginate(session, statement, HOST_ORDER, page)


async def batch_after(session: AsyncSession, after: UUID | None, limit: int) -> list[Host]:
    """Up to `limit` hosts after `after` in id order, with their site, room and MACs (one
    query for the hosts, one for their MACs)."""
    statement = _batch if after is None else _batch.where(Host.id > after)
    return list((await session.scalars(statement, {"limit": limit})).all())
