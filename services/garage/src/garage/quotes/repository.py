"""SQL for quotes and their decision links."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date, datetime
from typing import Any
from uuid import UUID

from sqlalchemy import Row, delete, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from garage.quotes.models import QuoteStatus, quote, quote_link
from guichet_common.db import Rows


async def insert_quote(session: AsyncSession, values: dict[str, Any]) -> Row[Any]:
    row: Row[Any] = (await session.execute(quote.insert().values(**values).returning(quote))).one()
    return row


def quote_rows(columns: Mapping[str, Sequence[Any]]) -> Rows:
    """New quotes, given column by column (`lines` as JSON text), for `insert_rows`."""
    return Rows(quote, columns)


async def get(
    session: AsyncSession, quote_id: UUID, *, for_update: bool = False
) -> Row[Any] | None:
    statement = select(quote).where(quote.c.id == quote_id)
    if for_update:
        statement = statement.with_for_update()
    return (await session.execute(statement)).first()


async def for_request(session: AsyncSession, request_id: UUID) -> Sequence[Row[Any]]:
    statement = select(quote).where(quote.c.request_id == request_id).order_by(quote.c.version)
    return (await session.execute(statement)).all()


async def next_version(session: AsyncSession, request_id: UUID) -> int:
    current = await session.scalar(
        select(func.max(quote.c.version)).where(quote.c.request_id == request_id)
    )
    return (current or 0) + 1


async def update_quote(session: AsyncSession, quote_id: UUID, values: dict[str, Any]) -> Row[Any]:
    result = await session.execute(
        update(quote)
        .where(quote.c.id == quote_id)
        .values(**values, etag_version=quote.c.etag_version + 1)
        .returning(quote)
    )
    row: Row[Any] = result.one()
    return row


async def supersede_issued(
    session: AsyncSession, request_id: UUID, is_supplement: bool, keep: UUID
) -> None:
    """An older issued version of the same kind can no longer be decided on."""
    await session.execute(
        update(quote)
        .where(
            quote.c.request_id == request_id,
            quote.c.is_supplement == is_supplement,
            quote.c.status == QuoteStatus.ISSUED,
            quote.c.id != keep,
        )
        .values(status=QuoteStatus.SUPERSEDED, etag_version=quote.c.etag_version + 1)
    )


async def gate_state(session: AsyncSession, request_id: UUID) -> tuple[bool, bool]:
    """(an accepted main quote exists, an issued supplement awaits a decision)."""
    rows = await session.execute(
        select(quote.c.is_supplement, quote.c.status).where(
            quote.c.request_id == request_id,
            quote.c.status.in_([QuoteStatus.ACCEPTED, QuoteStatus.ISSUED]),
        )
    )
    accepted = pending_supplement = False
    for is_supplement, status in rows:
        if not is_supplement and status == QuoteStatus.ACCEPTED:
            accepted = True
        if is_supplement and status == QuoteStatus.ISSUED:
            pending_supplement = True
    return accepted, pending_supplement


async def claim_expired(session: AsyncSession, today: date, limit: int = 200) -> Sequence[Row[Any]]:
    return (
        await session.execute(
            select(quote)
            .where(quote.c.status == QuoteStatus.ISSUED, quote.c.valid_until < today)
            .order_by(quote.c.valid_until)
            .limit(limit)
            .with_for_update(skip_locked=True)
        )
    ).all()


async def insert_link(
    session: AsyncSession, token_id: str, quote_id: UUID, expires_at: datetime
) -> None:
    await session.execute(
        quote_link.insert().values(token_id=token_id, quote_id=quote_id, expires_at=expires_at)
    )


async def get_link(
    session: AsyncSession, token_id: str, *, for_update: bool = False
) -> Row[Any] | None:
    statement = select(quote_link).where(quote_link.c.token_id == token_id)
    if for_update:
        statement = statement.with_for_update()
    return (await session.execute(statement)).first()


async def use_link(session: AsyncSession, token_id: str, now: datetime) -> None:
    await session.execute(
        update(quote_link).where(quote_link.c.token_id == token_id).values(used_at=now)
    )


async def forget_clients(session: AsyncSession, request_ids: list[UUID]) -> None:
    """Erase the client from these requests' quotes: the decision's name and IP, the PDF
    (it names the client) and the decision links. The PDF's SHA-256, the lines and the
    totals stay: what was agreed can still be proven against a copy the client holds."""
    await session.execute(
        update(quote)
        .where(quote.c.request_id.in_(request_ids))
        .values(decision_name=None, decision_ip=None, document_pdf=None)
    )
    await session.execute(
        delete(quote_link).where(
            quote_link.c.quote_id.in_(select(quote.c.id).where(quote.c.request_id.in_(request_ids)))
        )
    )
