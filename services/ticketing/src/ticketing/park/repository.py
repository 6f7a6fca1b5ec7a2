"""Upserts that keep the highest version: a repeated, replayed or late event is a no-op."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Table, func, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from guichet_common.pagination import KeysetOrder, Paged, PageRequest, paginate
from ticketing.park.models import ParkHost, ParkRoom, ParkSite


async def _keep_newest(
    session: AsyncSession, model: type[ParkSite | ParkRoom | ParkHost], row: dict[str, Any]
) -> None:
    table = model.__table__
    assert isinstance(table, Table)
    key = table.primary_key.columns.values()[0]
    statement = insert(table).values(**row)
    await session.execute(
        statement.on_conflict_do_update(
            index_elements=[key],
            set_={name: statement.excluded[name] for name in row if name != key.name},
            # The same version again is the same row: written again, it changes nothing,
            # but fills what a new column of the read model lacked (`guichet imaging
            # republish` after such a migration). An older version never wins.
            where=table.c.version <= statement.excluded.version,
        )
    )


async def keep_site(session: AsyncSession, row: dict[str, Any]) -> None:
    await _keep_newest(session, ParkSite, row)


async def keep_room(session: AsyncSession, row: dict[str, Any]) -> None:
    await _keep_newest(session, ParkRoom, row)


async def keep_host(session: AsyncSession, row: dict[str, Any]) -> None:
    await _keep_newest(session, ParkHost, row)


async def find_site(session: AsyncSession, code: str) -> ParkSite | None:
    """The site whose code is `code`, whatever its case."""
    statement = select(ParkSite).where(func.upper(ParkSite.code) == code.upper())
    return (await session.scalars(statement)).one_or_none()


async def find_host(session: AsyncSession, asset_tag: str) -> ParkHost | None:
    """The host labelled `asset_tag` (the GPI label), whatever its case; the one in service
    first when a retired PC's label was reused."""
    statement = (
        select(ParkHost)
        .where(func.upper(ParkHost.asset_tag) == asset_tag.upper())
        .order_by((ParkHost.status == "retired").asc(), ParkHost.received_at.desc())
        .limit(1)
    )
    return (await session.scalars(statement)).one_or_none()


async def list_sites(
    session: AsyncSession, page: PageRequest, *, covered: frozenset[str] | None
) -> Paged[ParkSite]:
    """Active sites by code; `covered` (upper-cased codes) limits them."""
    statement = select(ParkSite).where(ParkSite.active)
    if covered is not None:
        statement = statement.where(func.upper(ParkSite.code).in_(sorted(covered)))
    return await paginate(session, statement, _SITE_ORDER, page)


_SITE_ORDER = KeysetOrder((ParkSite.code,))
