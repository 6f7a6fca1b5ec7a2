"""Every query on tickets, their history and their checklist."""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, false, func, or_, select, true
from sqlalchemy.ext.asyncio import AsyncSession

from guichet_common.http import NotFound
from ticketing.deps import Viewer
from ticketing.tickets.models import Ticket, TicketChange


def visible_to(viewer: Viewer) -> ColumnElement[bool]:
    """The tickets `viewer` may see, as a WHERE clause (see `deps.Viewer`)."""
    clauses: list[ColumnElement[bool]] = []
    if viewer.sites is None:
        return true()
    if viewer.sites:
        clauses.append(Ticket.site_code.in_(sorted(viewer.sites)))
    if not viewer.staff:
        clauses.append(Ticket.opened_by == viewer.subject)
        if viewer.email is not None:
            clauses.append(func.lower(Ticket.requester_email) == viewer.email)
            clauses.append(func.lower(Ticket.affected_email) == viewer.email)
    return or_(*clauses) if clauses else false()


async def get_visible(
    session: AsyncSession, reference: str, viewer: Viewer, *, for_update: bool = False
) -> Ticket:
    """The ticket `reference` if `viewer` may see it; 404 otherwise, whether it does not
    exist or is someone else's (its existence is not disclosed)."""
    statement = select(Ticket).where(Ticket.reference == reference.upper(), visible_to(viewer))
    if for_update:
        statement = statement.with_for_update()
    ticket = (await session.scalars(statement)).one_or_none()
    if ticket is None:
        raise NotFound(f"no ticket {reference}")
    return ticket


def record_change(
    session: AsyncSession,
    ticket: Ticket,
    *,
    actor: str,
    actor_name: str | None,
    action: str,
    changes: dict[str, Any] | None = None,
    reason: str | None = None,
) -> TicketChange:
    """An entry of the ticket's history, written with the change it describes."""
    change = TicketChange(
        ticket_id=ticket.id,
        actor=actor,
        actor_name=actor_name,
        action=action,
        changes=changes or {},
        reason=reason,
    )
    session.add(change)
    return change
