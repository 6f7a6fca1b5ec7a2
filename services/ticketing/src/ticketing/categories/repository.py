"""Every query on categories."""

from __future__ import annotations

import asyncpg
from sqlalchemy import Integer, String, bindparam, func, literal, select, text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from ticketing.categories.models import Category

_by_code_for_update = select(Category).where(Category.code == bindparam("code")).with_for_update()
_all = select(Category).order_by(Category.position, Category.code)
_last_position_under = select(func.max(Category.position)).where(
    Category.parent_code.is_not_distinct_from(bindparam("parent", type_=String))
)
# The tree is a few levels deep; the bound keeps a query from running away on a cycle
# (which `service` refuses before it is written).
MAX_DEPTH = 20
# The category and its ancestors.
_chain = (
    select(Category.code, Category.parent_code, literal(0, Integer).label("depth"))
    .where(Category.code == bindparam("code"))
    .cte("chain", recursive=True)
)
_chain = _chain.union_all(
    select(Category.code, Category.parent_code, (_chain.c.depth + 1).label("depth")).where(
        Category.code == _chain.c.parent_code, _chain.c.depth < MAX_DEPTH
    )
)
_ancestry = (
    select(Category).join(_chain, Category.code == _chain.c.code).order_by(_chain.c.depth.desc())
)
# Taken before a category moves: two moves at once cannot make a cycle between them.
_LOCK_TREE = text("SELECT pg_advisory_xact_lock(hashtext('ticketing.category.tree'))")


async def find(session: AsyncSession, code: str) -> Category | None:
    return await session.get(Category, code)


async def find_for_update(session: AsyncSession, code: str) -> Category | None:
    found: Category | None = await session.scalar(_by_code_for_update, {"code": code})
    return found


async def all_categories(session: AsyncSession) -> list[Category]:
    """The whole tree (a few dozen rows), by position then code."""
    return list((await session.scalars(_all)).all())


async def ancestry(session: AsyncSession, code: str) -> list[Category]:
    """The category and its ancestors, from the root down to it (empty: no such code)."""
    return list((await session.scalars(_ancestry, {"code": code})).all())


async def last_position_under(session: AsyncSession, parent_code: str | None) -> int | None:
    """The highest position among the children of `parent_code` (None: the roots)."""
    position: int | None = await session.scalar(_last_position_under, {"parent": parent_code})
    return position


async def lock_tree(session: AsyncSession) -> None:
    """Until commit: one change of the tree's shape at a time."""
    await session.execute(_LOCK_TREE)


async def save(session: AsyncSession, category: Category) -> None:
    """Write what changed on a loaded category (its version checked and bumped)."""
    session.add(category)
    await session.flush()


async def insert_unless_taken(session: AsyncSession, category: Category) -> bool:
    """Insert a new category; False, and nothing written, when its code is taken (by a
    twin created concurrently too: a savepoint keeps the transaction usable)."""
    try:
        async with session.begin_nested():
            session.add(category)
            await session.flush()
    except IntegrityError as exc:
        cause = exc.orig.__cause__ if exc.orig is not None else None
        if isinstance(cause, asyncpg.UniqueViolationError):
            return False
        raise
    return True
