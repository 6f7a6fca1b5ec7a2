"""What the export writes: the park as the import reads it, one set-based query per kind,
limited to the sites the caller covers (None: all)."""

from __future__ import annotations

from collections.abc import Collection
from datetime import date

from sqlalchemy import ColumnElement, func, literal, select
from sqlalchemy.dialects.postgresql import aggregate_order_by
from sqlalchemy.ext.asyncio import AsyncSession

from imaging.hosts.models import Host, HostGroupMember, HostMac
from imaging.sites.models import HostGroup, Room, Site

ExportRow = dict[str, str]


def _covered(sites: Collection[str] | None) -> list[ColumnElement[bool]]:
    """The condition limiting a query to the sites a caller covers; none for all."""
    if sites is None:
        return []
    return [func.upper(Site.code).in_([code.upper() for code in sites])]


def _text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "oui" if value else "non"
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


async def site_rows(session: AsyncSession, sites: Collection[str] | None) -> list[ExportRow]:
    columns = (
        Site.code,
        Site.name,
        Site.kind,
        Site.uai,
        Site.department,
        Site.zone,
        Site.address,
        Site.active,
        Site.hostname_prefix,
    )
    statement = select(*columns).where(*_covered(sites)).order_by(Site.code)
    names = (
        "code",
        "name",
        "kind",
        "uai",
        "department",
        "zone",
        "address",
        "active",
        "hostname_prefix",
    )
    return [
        {name: _text(value) for name, value in zip(names, row, strict=True)}
        for row in await session.execute(statement)
    ]


async def room_rows(session: AsyncSession, sites: Collection[str] | None) -> list[ExportRow]:
    statement = (
        select(Site.code, Room.code, Room.name, Room.kind)
        .join(Site, Site.id == Room.site_id)
        .where(Room.removed_at.is_(None), *_covered(sites))
        .order_by(Site.code, Room.code)
    )
    names = ("site_code", "code", "name", "kind")
    return [
        {name: _text(value) for name, value in zip(names, row, strict=True)}
        for row in await session.execute(statement)
    ]


async def host_rows(session: AsyncSession, sites: Collection[str] | None) -> list[ExportRow]:
    """Hosts with their MACs and groups aggregated in the same query."""
    macs = (
        select(func.string_agg(HostMac.mac, aggregate_order_by(literal("|"), HostMac.mac)))
        .where(HostMac.host_id == Host.id)
        .correlate(Host)
        .scalar_subquery()
    )
    groups = (
        select(func.string_agg(HostGroup.code, aggregate_order_by(literal("|"), HostGroup.code)))
        .join(HostGroupMember, HostGroupMember.group_id == HostGroup.id)
        .where(HostGroupMember.host_id == Host.id)
        .correlate(Host)
        .scalar_subquery()
    )
    statement = (
        select(
            Site.code,
            Room.code,
            Host.asset_tag,
            Host.hostname,
            Host.serial,
            macs,
            Host.make,
            Host.model,
            Host.kind,
            Host.network,
            Host.purchase_date,
            Host.warranty_end,
            Host.status,
            groups,
        )
        .select_from(Host)
        .join(Site, Site.id == Host.site_id)
        .outerjoin(Room, Room.id == Host.room_id)
        .where(*_covered(sites))
        .order_by(Site.code, Host.asset_tag)
    )
    names = (
        "site_code",
        "room_code",
        "asset_tag",
        "hostname",
        "serial",
        "macs",
        "make",
        "model",
        "kind",
        "network",
        "purchase_date",
        "warranty_end",
        "status",
        "groups",
    )
    return [
        {name: _text(value) for name, value in zip(names, row, strict=True)}
        for row in await session.execute(statement)
    ]
