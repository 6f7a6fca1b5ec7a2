"""Upserts that keep the highest version: a repeated, replayed or late event is a no-op."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Table
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

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
            where=table.c.version < statement.excluded.version,
        )
    )


async def keep_site(session: AsyncSession, row: dict[str, Any]) -> None:
    await _keep_newest(session, ParkSite, row)


async def keep_room(session: AsyncSession, row: dict[str, Any]) -> None:
    await _keep_newest(session, ParkRoom, row)


async def keep_host(session: AsyncSession, row: dict[str, Any]) -> None:
    await _keep_newest(session, ParkHost, row)
