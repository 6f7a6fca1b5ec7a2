"""SQL for API keys (the `api_key` plumbing table of the service's schema)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Row, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from guichet_common.tables import PlumbingTables


@dataclass(frozen=True)
class ApiKey:
    key_id: str
    name: str
    secret_hash: str
    scopes: list[str]
    sites: list[str]
    version: int
    created_at: datetime
    last_used_at: datetime | None
    revoked_at: datetime | None


def _api_key(row: Row[Any]) -> ApiKey:
    return ApiKey(**row._mapping)


async def insert(
    session: AsyncSession,
    tables: PlumbingTables,
    *,
    key_id: str,
    name: str,
    secret_hash: str,
    scopes: list[str],
    sites: list[str],
) -> ApiKey:
    table = tables.api_key
    row = (
        await session.execute(
            table.insert()
            .values(key_id=key_id, name=name, secret_hash=secret_hash, scopes=scopes, sites=sites)
            .returning(*table.c)
        )
    ).one()
    return _api_key(row)


async def get(
    session: AsyncSession, tables: PlumbingTables, key_id: str, *, for_update: bool = False
) -> ApiKey | None:
    table = tables.api_key
    statement = select(*table.c).where(table.c.key_id == key_id)
    if for_update:
        statement = statement.with_for_update()
    row = (await session.execute(statement)).first()
    return None if row is None else _api_key(row)


async def list_all(session: AsyncSession, tables: PlumbingTables) -> list[ApiKey]:
    table = tables.api_key
    rows = await session.execute(select(*table.c).order_by(table.c.created_at, table.c.key_id))
    return [_api_key(row) for row in rows]


async def touch(session: AsyncSession, tables: PlumbingTables, key_id: str, now: datetime) -> None:
    """At most one write a minute per key: a read must not become a hot-row update."""
    table = tables.api_key
    await session.execute(
        update(table)
        .where(
            table.c.key_id == key_id,
            or_(table.c.last_used_at.is_(None), table.c.last_used_at < now - timedelta(minutes=1)),
        )
        .values(last_used_at=now)
    )


async def revoke(
    session: AsyncSession, tables: PlumbingTables, key_id: str, now: datetime
) -> ApiKey:
    table = tables.api_key
    row = (
        await session.execute(
            update(table)
            .where(table.c.key_id == key_id)
            .values(revoked_at=now, version=table.c.version + 1)
            .returning(*table.c)
        )
    ).one()
    return _api_key(row)
