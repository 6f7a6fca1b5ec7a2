"""Every query on support groups and technicians."""

from __future__ import annotations

from collections.abc import Sequence

import asyncpg
from sqlalchemy import bindparam, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from guichet_common.pagination import KeysetOrder, Paged, PageRequest, paginate
from ticketing.staff.models import SupportGroup, Technician

GROUP_ORDER = KeysetOrder((SupportGroup.code,))
TECHNICIAN_ORDER = KeysetOrder((Technician.login,))

_group_for_update = (
    select(SupportGroup).where(SupportGroup.code == bindparam("code")).with_for_update()
)
_technician_for_update = (
    select(Technician).where(Technician.login == bindparam("login")).with_for_update()
)


async def save(session: AsyncSession, entity: SupportGroup | Technician) -> None:
    """Write what changed on a loaded row (its version checked and bumped)."""
    session.add(entity)
    await session.flush()


async def insert_unless_taken(session: AsyncSession, entity: SupportGroup | Technician) -> bool:
    """Insert a new row; False, and nothing written, when its key is taken (by a twin
    created concurrently too: a savepoint keeps the transaction usable)."""
    try:
        async with session.begin_nested():
            session.add(entity)
            await session.flush()
    except IntegrityError as exc:
        cause = exc.orig.__cause__ if exc.orig is not None else None
        if isinstance(cause, asyncpg.UniqueViolationError):
            return False
        raise
    return True


# --- support groups --------------------------------------------------------------------------


async def find_group(
    session: AsyncSession, code: str, *, for_update: bool = False
) -> SupportGroup | None:
    """The group with this code; `for_update` locks it until commit."""
    if for_update:
        found: SupportGroup | None = await session.scalar(_group_for_update, {"code": code})
        return found
    return await session.get(SupportGroup, code)


async def existing_group_codes(session: AsyncSession, codes: Sequence[str]) -> set[str]:
    """Those of `codes` that are groups, in one query."""
    statement = select(SupportGroup.code).where(SupportGroup.code.in_(codes))
    return set((await session.scalars(statement)).all())


async def list_groups(
    session: AsyncSession, page: PageRequest, *, active: bool | None = None
) -> Paged[SupportGroup]:
    """By code."""
    statement = select(SupportGroup)
    if active is not None:
        statement = statement.where(SupportGroup.active.is_(active))
    return await paginate(session, statement, GROUP_ORDER, page)


# --- technicians -----------------------------------------------------------------------------


async def find_technician(
    session: AsyncSession, login: str, *, for_update: bool = False
) -> Technician | None:
    """The technician whose login (their token's `sub`) is `login`; `for_update` locks it
    until commit."""
    if for_update:
        found: Technician | None = await session.scalar(_technician_for_update, {"login": login})
        return found
    return await session.get(Technician, login)


async def list_technicians(
    session: AsyncSession,
    page: PageRequest,
    *,
    active: bool | None = None,
    group: str | None = None,
) -> Paged[Technician]:
    """By login; `group`: the members of that group."""
    statement = select(Technician)
    if active is not None:
        statement = statement.where(Technician.active.is_(active))
    if group is not None:
        statement = statement.where(Technician.group_codes.contains([group]))
    return await paginate(session, statement, TECHNICIAN_ORDER, page)
