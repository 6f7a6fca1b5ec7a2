"""SQL for sites, rooms and host groups."""

from __future__ import annotations

from collections.abc import Collection, Sequence

import asyncpg
from sqlalchemy import String, bindparam, func, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from guichet_common.pagination import KeysetOrder, Paged, PageRequest, paginate
from imaging.sites.models import HostGroup, Room, RoomKind, Site

SITE_ORDER = KeysetOrder((Site.code, Site.id))
ROOM_ORDER = KeysetOrder((Room.code, Room.id))
GROUP_ORDER = KeysetOrder((HostGroup.code, HostGroup.id))

_live_room = Room.removed_at.is_(None)
# Folded on both sides by PostgreSQL, so the lookup uses the index `uq_site_code_folded`.
_site_by_code = select(Site).where(
    func.upper(Site.code) == func.upper(bindparam("code", type_=String))
)
_site_by_code_for_update = _site_by_code.with_for_update()
_room_by_code = select(Room).where(
    Room.site_id == bindparam("site_id"), Room.code == bindparam("code"), _live_room
)
_room_by_code_for_update = _room_by_code.with_for_update()
_group_by_code = select(HostGroup).where(
    HostGroup.site_id == bindparam("site_id"), HostGroup.code == bindparam("code")
)
_group_by_code_for_update = _group_by_code.with_for_update()
_all_sites = select(Site).order_by(Site.code, Site.id)
_all_live_rooms = select(Room).where(_live_room).order_by(Room.site_id, Room.code)


async def save(session: AsyncSession, entity: Site | Room | HostGroup) -> None:
    """Insert a new row or write what changed on a loaded one (its version checked and
    bumped)."""
    session.add(entity)
    await session.flush()


async def save_unique(session: AsyncSession, entity: Site | Room | HostGroup) -> str | None:
    """`save`, unless the row would break a unique index: then nothing is written and the
    index's name is returned (the entity is not to be used any further). A savepoint keeps
    the transaction usable, and two concurrent twins end the same way as two in a row."""
    try:
        async with session.begin_nested():
            session.add(entity)
            await session.flush()
    except IntegrityError as exc:
        cause = exc.orig.__cause__ if exc.orig is not None else None
        if isinstance(cause, asyncpg.UniqueViolationError):
            return str(cause.constraint_name)
        raise
    return None


async def delete(session: AsyncSession, entity: HostGroup) -> None:
    """Delete a loaded row (its version checked)."""
    await session.delete(entity)
    await session.flush()


# --- sites -------------------------------------------------------------------------------------


async def find_site(session: AsyncSession, code: str, *, for_update: bool = False) -> Site | None:
    """The site whose code is `code` whatever its case."""
    statement = _site_by_code_for_update if for_update else _site_by_code
    found: Site | None = await session.scalar(statement, {"code": code})
    return found


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
    """By code; `covered`: only these site codes (whatever their case), None for all."""
    statement = select(Site)
    if covered is not None:
        statement = statement.where(
            func.upper(Site.code).in_([func.upper(code) for code in covered])
        )
    if zone is not None:
        statement = statement.where(Site.zone == zone)
    if department is not None:
        statement = statement.where(Site.department == department)
    if active is not None:
        statement = statement.where(Site.active.is_(active))
    if q is not None:
        statement = statement.where(
            or_(Site.code.icontains(q, autoescape=True), Site.name.icontains(q, autoescape=True))
        )
    return await paginate(session, statement, SITE_ORDER, page)


async def all_sites(session: AsyncSession) -> list[Site]:
    return list((await session.scalars(_all_sites)).all())


# --- rooms -------------------------------------------------------------------------------------


async def find_room(
    session: AsyncSession, site: Site, code: str, *, for_update: bool = False
) -> Room | None:
    """A live room of the site (a removed one is not found)."""
    statement = _room_by_code_for_update if for_update else _room_by_code
    found: Room | None = await session.scalar(statement, {"site_id": site.id, "code": code})
    return found


async def list_rooms(
    session: AsyncSession, site: Site, page: PageRequest, *, kind: RoomKind | None = None
) -> Paged[Room]:
    """The site's live rooms, by code."""
    statement = select(Room).where(Room.site_id == site.id, _live_room)
    if kind is not None:
        statement = statement.where(Room.kind == kind)
    return await paginate(session, statement, ROOM_ORDER, page)


async def all_live_rooms(session: AsyncSession) -> list[Room]:
    return list((await session.scalars(_all_live_rooms)).all())


# --- host groups -------------------------------------------------------------------------------


async def find_group(
    session: AsyncSession, site: Site, code: str, *, for_update: bool = False
) -> HostGroup | None:
    statement = _group_by_code_for_update if for_update else _group_by_code
    found: HostGroup | None = await session.scalar(statement, {"site_id": site.id, "code": code})
    return found


async def find_groups(
    session: AsyncSession, site: Site, codes: Sequence[str]
) -> dict[str, HostGroup]:
    """The site's groups among `codes` (upper case), by code, in one query."""
    statement = select(HostGroup).where(HostGroup.site_id == site.id, HostGroup.code.in_(codes))
    return {group.code: group for group in await session.scalars(statement)}


async def list_groups(session: AsyncSession, site: Site, page: PageRequest) -> Paged[HostGroup]:
    statement = select(HostGroup).where(HostGroup.site_id == site.id)
    return await paginate(session, statement, GROUP_ORDER, page)
