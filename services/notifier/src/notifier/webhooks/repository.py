"""SQL for webhook endpoints."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any
from uuid import UUID

from sqlalchemy import Row, delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from notifier.webhooks.models import webhook_endpoint


async def insert_endpoint(session: AsyncSession, values: dict[str, Any]) -> Row[Any]:
    result = await session.execute(
        webhook_endpoint.insert().values(**values).returning(*webhook_endpoint.c)
    )
    return result.one()


async def get_endpoint(
    session: AsyncSession, endpoint_id: UUID, *, for_update: bool = False
) -> Row[Any] | None:
    statement = select(webhook_endpoint).where(webhook_endpoint.c.id == endpoint_id)
    if for_update:
        statement = statement.with_for_update()
    return (await session.execute(statement)).first()


async def get_endpoints(session: AsyncSession, ids: Sequence[UUID]) -> dict[UUID, Row[Any]]:
    if not ids:
        return {}
    rows = await session.execute(
        select(webhook_endpoint).where(webhook_endpoint.c.id.in_(set(ids)))
    )
    return {row.id: row for row in rows}


async def enabled_endpoints(session: AsyncSession) -> Sequence[Row[Any]]:
    rows = await session.execute(
        select(webhook_endpoint).where(webhook_endpoint.c.disabled_at.is_(None))
    )
    return rows.all()


async def list_endpoints(
    session: AsyncSession, *, after: tuple[datetime, UUID] | None, limit: int
) -> Sequence[Row[Any]]:
    statement = select(webhook_endpoint)
    if after is not None:
        statement = statement.where(
            (webhook_endpoint.c.created_at, webhook_endpoint.c.id) > after  # type: ignore[operator]
        )
    rows = await session.execute(
        statement.order_by(webhook_endpoint.c.created_at, webhook_endpoint.c.id).limit(limit)
    )
    return rows.all()


async def update_endpoint(session: AsyncSession, endpoint_id: UUID, **values: Any) -> Row[Any]:
    result = await session.execute(
        update(webhook_endpoint)
        .where(webhook_endpoint.c.id == endpoint_id)
        .values(**values)
        .returning(*webhook_endpoint.c)
    )
    return result.one()


async def mark_failing(
    session: AsyncSession, endpoint_ids: Sequence[UUID], now: datetime
) -> Sequence[Row[Any]]:
    """Starts the failure clock of endpoints that were healthy; returns them all."""
    if not endpoint_ids:
        return []
    # Lock in id order first: two sender lanes failing on the same endpoints never deadlock.
    await session.execute(
        select(webhook_endpoint.c.id)
        .where(webhook_endpoint.c.id.in_(set(endpoint_ids)))
        .order_by(webhook_endpoint.c.id)
        .with_for_update()
    )
    await session.execute(
        update(webhook_endpoint)
        .where(webhook_endpoint.c.id.in_(set(endpoint_ids)))
        .where(webhook_endpoint.c.failing_since.is_(None))
        .values(failing_since=now)
    )
    rows = await session.execute(
        select(webhook_endpoint).where(webhook_endpoint.c.id.in_(set(endpoint_ids)))
    )
    return rows.all()


async def mark_healthy(session: AsyncSession, endpoint_ids: Sequence[UUID]) -> None:
    if endpoint_ids:
        await session.execute(
            update(webhook_endpoint)
            .where(webhook_endpoint.c.id.in_(set(endpoint_ids)))
            .where(webhook_endpoint.c.failing_since.is_not(None))
            .values(failing_since=None)
        )


async def delete_endpoint(session: AsyncSession, endpoint_id: UUID) -> None:
    await session.execute(delete(webhook_endpoint).where(webhook_endpoint.c.id == endpoint_id))
