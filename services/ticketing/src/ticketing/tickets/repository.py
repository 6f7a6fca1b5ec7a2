"""Every query on tickets, their history and their checklist."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from sqlalchemy import ColumnElement, false, func, or_, select, true
from sqlalchemy.ext.asyncio import AsyncSession

from guichet_common.http import NotFound
from guichet_common.pagination import KeysetOrder, Paged, PageRequest, paginate
from ticketing.deps import Viewer
from ticketing.tickets.models import Ticket, TicketChange, TicketTask


def visible_to(viewer: Viewer, within_sites: frozenset[str] | None = None) -> ColumnElement[bool]:
    """The tickets `viewer` may see, as a WHERE clause (see `deps.Viewer`). `within_sites`:
    the sites the query already keeps to (a list's filter, upper-cased); when the viewer
    covers them all, every ticket there is theirs to see and no clause is needed, which
    also keeps the planner on the per-site index instead of a bitmap OR of every way a
    requester may be named."""
    if viewer.sites is None or (within_sites is not None and within_sites <= viewer.sites):
        return true()
    clauses: list[ColumnElement[bool]] = []
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


async def save(session: AsyncSession) -> None:
    """Send what changed (bumping versions); the boundary commits."""
    await session.flush()


async def changes(session: AsyncSession, ticket: Ticket, page: PageRequest) -> Paged[TicketChange]:
    """The ticket's history, oldest first."""
    statement = select(TicketChange).where(TicketChange.ticket_id == ticket.id)
    return await paginate(session, statement, _HISTORY_ORDER, page)


_HISTORY_ORDER = KeysetOrder((TicketChange.id,))


async def tasks(session: AsyncSession, ticket: Ticket) -> list[TicketTask]:
    statement = (
        select(TicketTask)
        .where(TicketTask.ticket_id == ticket.id)
        .order_by(TicketTask.position, TicketTask.id)
    )
    return list((await session.scalars(statement)).all())


async def get_task(session: AsyncSession, ticket: Ticket, task_id: UUID) -> TicketTask:
    task = await session.get(TicketTask, task_id)
    if task is None or task.ticket_id != ticket.id:
        raise NotFound(f"no task {task_id} on {ticket.reference}")
    return task


async def next_task_position(session: AsyncSession, ticket: Ticket) -> int:
    statement = select(func.coalesce(func.max(TicketTask.position) + 1, 0)).where(
        TicketTask.ticket_id == ticket.id
    )
    position: int = (await session.execute(statement)).scalar_one()
    return position
