"""Every query on attachments. Lists never load the bytes: the `content` column is
deferred, and raises here if anything touches it."""

from __future__ import annotations

from uuid import UUID

from sqlalchemy import ColumnElement, bindparam, func, or_, select, true
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import defer, undefer

from guichet_common.pagination import KeysetOrder, Paged, PageRequest, paginate
from ticketing.attachments.models import Attachment
from ticketing.followups.models import Followup
from ticketing.tickets.models import Ticket

_ORDER = KeysetOrder((Attachment.created_at, Attachment.id))
_METADATA_ONLY = defer(Attachment.content, raiseload=True)
_LOCK_TICKET = select(Ticket.id).where(Ticket.id == bindparam("ticket_id")).with_for_update()
_COUNT = select(func.count()).where(Attachment.ticket_id == bindparam("ticket_id"))


def _readable(staff: bool) -> ColumnElement[bool]:
    """A requester does not see the attachments of private followups."""
    if staff:
        return true()
    public_followup = (
        select(Followup.id).where(Followup.id == Attachment.followup_id, Followup.public).exists()
    )
    return or_(Attachment.followup_id.is_(None), public_followup)


async def page(
    session: AsyncSession, ticket: Ticket, request: PageRequest, *, staff: bool
) -> Paged[Attachment]:
    statement = (
        select(Attachment)
        .options(_METADATA_ONLY)
        .where(Attachment.ticket_id == ticket.id, _readable(staff))
    )
    return await paginate(session, statement, _ORDER, request)


async def with_content(
    session: AsyncSession, ticket: Ticket, attachment_id: UUID, *, staff: bool
) -> Attachment | None:
    """The attachment, its bytes loaded, if it is `ticket`'s and readable."""
    statement = (
        select(Attachment)
        .options(undefer(Attachment.content))
        .where(
            Attachment.id == attachment_id,
            Attachment.ticket_id == ticket.id,
            _readable(staff),
        )
    )
    return (await session.scalars(statement)).one_or_none()


async def count_locked(session: AsyncSession, ticket: Ticket) -> int:
    """How many attachments `ticket` has, its row locked until commit so that two uploads
    at once cannot both take the last place."""
    await session.execute(_LOCK_TICKET, {"ticket_id": ticket.id})
    count: int = (await session.execute(_COUNT, {"ticket_id": ticket.id})).scalar_one()
    return count


def add(session: AsyncSession, attachment: Attachment) -> None:
    session.add(attachment)


async def save(session: AsyncSession) -> None:
    await session.flush()
