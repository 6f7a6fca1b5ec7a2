"""SQL for webhook endpoints."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import datetime
from uuid import UUID

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from guichet_common.pagination import KeysetOrder, Paged, PageRequest, paginate
from notifier.webhooks.models import WebhookEndpoint

OLDEST_FIRST = KeysetOrder((WebhookEndpoint.created_at, WebhookEndpoint.id))


async def save(session: AsyncSession, endpoint: WebhookEndpoint) -> None:
    """Insert a new endpoint or write what changed on a loaded one (its version checked
    and bumped)."""
    session.add(endpoint)
    await session.flush()


async def delete(session: AsyncSession, endpoint: WebhookEndpoint) -> None:
    await session.delete(endpoint)
    await session.flush()


async def get(
    session: AsyncSession, endpoint_id: UUID, *, for_update: bool = False
) -> WebhookEndpoint | None:
    statement = select(WebhookEndpoint).where(WebhookEndpoint.id == endpoint_id)
    if for_update:
        statement = statement.with_for_update()
    return (await session.scalars(statement)).one_or_none()


async def by_id(session: AsyncSession, ids: Collection[UUID]) -> dict[UUID, WebhookEndpoint]:
    if not ids:
        return {}
    endpoints = await session.scalars(
        select(WebhookEndpoint).where(WebhookEndpoint.id.in_(set(ids)))
    )
    return {endpoint.id: endpoint for endpoint in endpoints}


async def enabled(session: AsyncSession) -> Sequence[WebhookEndpoint]:
    statement = select(WebhookEndpoint).where(WebhookEndpoint.disabled_at.is_(None))
    return (await session.scalars(statement)).all()


async def list_endpoints(session: AsyncSession, page: PageRequest) -> Paged[WebhookEndpoint]:
    return await paginate(session, select(WebhookEndpoint), OLDEST_FIRST, page)


async def mark_failing(
    session: AsyncSession, endpoint_ids: Collection[UUID], now: datetime
) -> Sequence[WebhookEndpoint]:
    """Start the failure clock of endpoints that were healthy; returns them all, locked."""
    if not endpoint_ids:
        return []
    # Locked in id order first: two sender lanes failing on the same endpoints never deadlock.
    await session.execute(
        select(WebhookEndpoint.id)
        .where(WebhookEndpoint.id.in_(set(endpoint_ids)))
        .order_by(WebhookEndpoint.id)
        .with_for_update()
    )
    await session.execute(
        update(WebhookEndpoint)
        .where(WebhookEndpoint.id.in_(set(endpoint_ids)), WebhookEndpoint.failing_since.is_(None))
        .values(failing_since=now, version=WebhookEndpoint.version + 1)
        .execution_options(synchronize_session=False)
    )
    statement = (
        select(WebhookEndpoint)
        .where(WebhookEndpoint.id.in_(set(endpoint_ids)))
        .execution_options(populate_existing=True)
    )
    return (await session.scalars(statement)).all()


async def mark_healthy(session: AsyncSession, endpoint_ids: Collection[UUID]) -> None:
    if endpoint_ids:
        await session.execute(
            update(WebhookEndpoint)
            .where(
                WebhookEndpoint.id.in_(set(endpoint_ids)),
                WebhookEndpoint.failing_since.is_not(None),
            )
            .values(failing_since=None, version=WebhookEndpoint.version + 1)
            .execution_options(synchronize_session=False)
        )
