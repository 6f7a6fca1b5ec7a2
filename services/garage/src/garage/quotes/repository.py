"""SQL for quotes and their decision links."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from uuid import UUID

from sqlalchemy import delete, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from garage.quotes.models import Quote, QuoteLink, QuoteStatus


async def save(session: AsyncSession, quote: Quote | QuoteLink) -> None:
    """Insert a new quote or link, or write what changed on a loaded one."""
    session.add(quote)
    await session.flush()


async def get(session: AsyncSession, quote_id: UUID, *, for_update: bool = False) -> Quote | None:
    statement = select(Quote).where(Quote.id == quote_id)
    if for_update:
        statement = statement.with_for_update()
    return (await session.scalars(statement)).one_or_none()


async def for_request(session: AsyncSession, request_id: UUID) -> list[Quote]:
    statement = select(Quote).where(Quote.request_id == request_id).order_by(Quote.version)
    return list((await session.scalars(statement)).all())


async def next_version(session: AsyncSession, request_id: UUID) -> int:
    current = await session.scalar(
        select(func.max(Quote.version)).where(Quote.request_id == request_id)
    )
    return (current or 0) + 1


async def supersede_issued(
    session: AsyncSession, request_id: UUID, is_supplement: bool, keep: UUID
) -> None:
    """An older issued version of the same kind can no longer be decided on."""
    await session.execute(
        update(Quote)
        .where(
            Quote.request_id == request_id,
            Quote.is_supplement == is_supplement,
            Quote.status == QuoteStatus.ISSUED,
            Quote.id != keep,
        )
        .values(status=QuoteStatus.SUPERSEDED, etag_version=Quote.etag_version + 1)
        .execution_options(synchronize_session=False)
    )


async def gate_state(session: AsyncSession, request_id: UUID) -> tuple[bool, bool]:
    """(an accepted main quote exists, an issued supplement awaits a decision)."""
    rows = await session.execute(
        select(Quote.is_supplement, Quote.status).where(
            Quote.request_id == request_id,
            Quote.status.in_([QuoteStatus.ACCEPTED, QuoteStatus.ISSUED]),
        )
    )
    accepted = pending_supplement = False
    for is_supplement, status in rows:
        if not is_supplement and status == QuoteStatus.ACCEPTED:
            accepted = True
        if is_supplement and status == QuoteStatus.ISSUED:
            pending_supplement = True
    return accepted, pending_supplement


async def claim_expired(session: AsyncSession, today: date, limit: int = 200) -> Sequence[Quote]:
    return (
        await session.scalars(
            select(Quote)
            .where(Quote.status == QuoteStatus.ISSUED, Quote.valid_until < today)
            .order_by(Quote.valid_until)
            .limit(limit)
            .with_for_update(skip_locked=True)
        )
    ).all()


async def get_link(
    session: AsyncSession, token_id: str, *, for_update: bool = False
) -> QuoteLink | None:
    statement = select(QuoteLink).where(QuoteLink.token_id == token_id)
    if for_update:
        statement = statement.with_for_update()
    return (await session.scalars(statement)).one_or_none()


async def forget_clients(session: AsyncSession, request_ids: list[UUID]) -> None:
    """Erase the client from these requests' quotes: the decision's name and IP, the PDF
    (it names the client) and the decision links. The PDF's SHA-256, the lines and the
    totals stay: what was agreed can still be proven against a copy the client holds."""
    await session.execute(
        update(Quote)
        .where(Quote.request_id.in_(request_ids))
        .values(
            decision_name=None,
            decision_ip=None,
            document_pdf=None,
            etag_version=Quote.etag_version + 1,
        )
        .execution_options(synchronize_session=False)
    )
    await session.execute(
        delete(QuoteLink).where(
            QuoteLink.quote_id.in_(select(Quote.id).where(Quote.request_id.in_(request_ids)))
        )
    )
