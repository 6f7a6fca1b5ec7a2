"""SQL for invoices, and the accepted quotes an invoice is drawn from."""

from __future__ import annotations

from uuid import UUID

from sqlalchemy import exists, select
from sqlalchemy.ext.asyncio import AsyncSession

from garage.invoices.models import Invoice
from garage.quotes.models import Quote, QuoteStatus


async def save(session: AsyncSession, invoice: Invoice) -> None:
    """Insert a new invoice (an issued one is never written again)."""
    session.add(invoice)
    await session.flush()


async def for_request(session: AsyncSession, request_id: UUID) -> Invoice | None:
    statement = select(Invoice).where(Invoice.request_id == request_id)
    return (await session.scalars(statement)).one_or_none()


async def exists_for(session: AsyncSession, request_id: UUID) -> bool:
    """Whether the request has its invoice, without loading the PDF."""
    statement = select(exists().where(Invoice.request_id == request_id))
    return bool(await session.scalar(statement))


async def accepted_quotes(session: AsyncSession, request_id: UUID) -> list[Quote]:
    """The quote and the supplements the client accepted, in version order."""
    statement = (
        select(Quote)
        .where(Quote.request_id == request_id, Quote.status == QuoteStatus.ACCEPTED)
        .order_by(Quote.version)
    )
    return list((await session.scalars(statement)).all())
