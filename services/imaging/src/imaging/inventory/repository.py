"""SQL for inventories (a host's history, its latest one, a site's latest ones) and the
software reference lists."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID

from sqlalchemy import Select, bindparam, func, or_, select, true
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import defer, raiseload

from guichet_common.pagination import KeysetOrder, Paged, PageRequest, paginate
from imaging.hosts.models import Host, HostStatus
from imaging.inventory.models import Inventory, SoftwareReference
from imaging.naming.models import HostKind
from imaging.sites.models import Site

HISTORY_ORDER = KeysetOrder((Inventory.received_at, Inventory.id), descending=True)
REFERENCE_ORDER = KeysetOrder((SoftwareReference.name_pattern, SoftwareReference.id))


@dataclass(frozen=True)
class LatestSummary:
    """The summary of a host's latest inventory and when it was received."""

    received_at: datetime
    summary: dict[str, Any]


COMPLIANCE_ORDER = KeysetOrder((Host.asset_tag, Host.id))

_newest_first = (Inventory.received_at.desc(), Inventory.id.desc())
# The document (up to megabytes) is read only when asked for.
_latest_head = (
    select(Inventory)
    .options(defer(Inventory.document))
    .where(Inventory.host_id == bindparam("host_id"))
    .order_by(*_newest_first)
    .limit(1)
)
_latest_full = (
    select(Inventory)
    .where(Inventory.host_id == bindparam("host_id"))
    .order_by(*_newest_first)
    .limit(1)
)
_first_id = (
    select(Inventory.id)
    .where(Inventory.host_id == bindparam("host_id"))
    .order_by(Inventory.received_at, Inventory.id)
    .limit(1)
)
# Each host's latest inventory: one probe of ix_inventory_host_received per host, however
# long its history.
_latest_of_host = (
    select(Inventory.received_at, Inventory.summary)
    .where(Inventory.host_id == Host.id)
    .order_by(*_newest_first)
    .limit(1)
    .lateral("latest")
)
_latest_of_hosts = (
    select(Host.id, _latest_of_host.c.received_at, _latest_of_host.c.summary)
    .join(_latest_of_host, true())
    .where(Host.id.in_(bindparam("host_ids", expanding=True)))
)
# The host whose latest inventory from this agent is the most recent.
_by_device = select(Host).where(
    Host.id
    == select(Inventory.host_id)
    .where(Inventory.device_id == bindparam("device_id"))
    .order_by(*_newest_first)
    .limit(1)
    .scalar_subquery()
)
_reference_by_id = select(SoftwareReference).where(SoftwareReference.id == bindparam("id"))
_reference_by_id_for_update = _reference_by_id.with_for_update(of=SoftwareReference)
_references_of_sites = (
    select(SoftwareReference)
    .where(
        or_(
            SoftwareReference.site_id.is_(None),
            SoftwareReference.site_id.in_(bindparam("site_ids", expanding=True)),
        )
    )
    .order_by(SoftwareReference.name_pattern, SoftwareReference.id)
)


def _covered_sites(codes: Collection[str]) -> Select[UUID]:
    """The ids of the sites of these codes, whatever their case."""
    return select(Site.id).where(func.upper(Site.code).in_([code.upper() for code in codes]))


async def save(session: AsyncSession, entity: Inventory | SoftwareReference) -> None:
    """Insert a new row or write what changed on a loaded one (its version checked)."""
    session.add(entity)
    await session.flush()


async def delete(session: AsyncSession, entity: SoftwareReference) -> None:
    """Delete a loaded row (its version checked)."""
    await session.delete(entity)
    await session.flush()


# --- inventories ---------------------------------------------------------------------------


async def latest(session: AsyncSession, host: Host, *, document: bool = False) -> Inventory | None:
    """The host's latest inventory; its document only with `document`."""
    statement = _latest_full if document else _latest_head
    found: Inventory | None = await session.scalar(statement, {"host_id": host.id})
    return found


async def host_of_device(session: AsyncSession, device_id: str) -> Host | None:
    """The host the agent `device_id` (a document's `deviceid`) last reported."""
    found: Host | None = await session.scalar(_by_device, {"device_id": device_id})
    return found


async def first_id(session: AsyncSession, host: Host) -> UUID | None:
    found: UUID | None = await session.scalar(_first_id, {"host_id": host.id})
    return found


async def history(session: AsyncSession, host: Host, page: PageRequest) -> Paged[Inventory]:
    """The host's inventories, newest first, without their documents."""
    statement = (
        select(Inventory).options(defer(Inventory.document)).where(Inventory.host_id == host.id)
    )
    return await paginate(session, statement, HISTORY_ORDER, page)


async def hosts_to_check(
    session: AsyncSession, page: PageRequest, *, site: Site | None, covered: Collection[str] | None
) -> Paged[Host]:
    """Hosts not retired, of the site or of the covered sites (None: all), by asset tag."""
    statement = (
        select(Host)
        .options(raiseload(Host.macs), raiseload(Host.groups))  # not read here
        .where(Host.status != HostStatus.RETIRED)
    )
    if site is not None:
        statement = statement.where(Host.site_id == site.id)
    if covered is not None:
        statement = statement.where(Host.site_id.in_(_covered_sites(covered)))
    return await paginate(session, statement, COMPLIANCE_ORDER, page)


async def latest_summaries(
    session: AsyncSession, hosts: Collection[Host]
) -> dict[UUID, LatestSummary]:
    """The hosts' latest inventories (their summaries), in one statement."""
    if not hosts:
        return {}
    rows = await session.execute(_latest_of_hosts, {"host_ids": [host.id for host in hosts]})
    return {host_id: LatestSummary(received_at, summary) for host_id, received_at, summary in rows}


# --- software references -------------------------------------------------------------------


async def get_reference(
    session: AsyncSession, reference_id: UUID, *, for_update: bool = False
) -> SoftwareReference | None:
    statement = _reference_by_id_for_update if for_update else _reference_by_id
    found: SoftwareReference | None = await session.scalar(statement, {"id": reference_id})
    return found


async def references_of_sites(
    session: AsyncSession, site_ids: Collection[UUID]
) -> list[SoftwareReference]:
    """The references the sites' hosts must meet: the sites' own and every site's."""
    found = await session.scalars(_references_of_sites, {"site_ids": list(site_ids)})
    return list(found.all())


async def list_references(
    session: AsyncSession,
    page: PageRequest,
    *,
    site: Site | None,
    covered: Collection[str] | None,
    host_kind: HostKind | None,
) -> Paged[SoftwareReference]:
    """By name pattern. `site`: those that apply to it (its own and every site's);
    `covered`: only every site's and those of these site codes (None: all)."""
    statement = select(SoftwareReference)
    if site is not None:
        statement = statement.where(
            or_(SoftwareReference.site_id.is_(None), SoftwareReference.site_id == site.id)
        )
    if covered is not None:
        codes = select(Site.id).where(func.upper(Site.code).in_([code.upper() for code in covered]))
        statement = statement.where(
            or_(SoftwareReference.site_id.is_(None), SoftwareReference.site_id.in_(codes))
        )
    if host_kind is not None:
        statement = statement.where(
            or_(SoftwareReference.host_kind.is_(None), SoftwareReference.host_kind == host_kind)
        )
    return await paginate(session, statement, REFERENCE_ORDER, page)
