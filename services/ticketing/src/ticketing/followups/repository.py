"""Every query on followups, and the ticket's searched document of its public ones."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from guichet_common.pagination import KeysetOrder, Paged, PageRequest, paginate
from ticketing.followups.models import Followup
from ticketing.tickets.models import Ticket
from ticketing.tickets.text_search import document

# Oldest first, as a thread reads (the index `ix_followup_ticket`).
_THREAD_ORDER = KeysetOrder((Followup.created_at, Followup.id))


def append_to_search(ticket: Ticket, content: str) -> None:
    """Add `content` to the ticket's followup document, concatenated by PostgreSQL in the
    ticket's UPDATE: the earlier followups are never read again."""
    appended: Any = Ticket.followup_search.op("||")(document(content))
    ticket.followup_search = appended


async def thread(
    session: AsyncSession, ticket: Ticket, page: PageRequest, *, public_only: bool
) -> Paged[Followup]:
    statement = select(Followup).where(Followup.ticket_id == ticket.id)
    if public_only:
        statement = statement.where(Followup.public)
    return await paginate(session, statement, _THREAD_ORDER, page)


async def find(
    session: AsyncSession, ticket: Ticket, followup_id: UUID, *, public_only: bool
) -> Followup | None:
    """The followup `followup_id` of `ticket` (a public one only, for `public_only`)."""
    followup = await session.get(Followup, followup_id)
    if followup is None or followup.ticket_id != ticket.id:
        return None
    if public_only and not followup.public:
        return None
    return followup
