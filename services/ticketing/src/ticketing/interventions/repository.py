"""Every query on interventions and their signatures."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from uuid import UUID

from sqlalchemy import Select, bindparam, select
from sqlalchemy.ext.asyncio import AsyncSession

from guichet_common.pagination import KeysetOrder, Paged, PageRequest, paginate
from ticketing.interventions.models import Intervention, InterventionSignature, Mode
from ticketing.tickets.models import Status, Ticket

TICKET_ORDER = KeysetOrder((Intervention.created_at, Intervention.id))
AGENDA_ORDER = KeysetOrder((Intervention.planned_for, Intervention.id))

_of_ticket = select(Intervention).where(
    Intervention.id == bindparam("id"), Intervention.ticket_id == bindparam("ticket_id")
)
_unsigned_on_site = (
    select(Intervention)
    .where(
        Intervention.ticket_id == bindparam("ticket_id"),
        Intervention.mode == Mode.ON_SITE,
        Intervention.signed_at.is_(None),
    )
    .order_by(Intervention.created_at.desc(), Intervention.id.desc())
)


def add(session: AsyncSession, entity: Intervention | InterventionSignature) -> None:
    session.add(entity)


async def save(session: AsyncSession) -> None:
    """Send what changed (bumping versions); the boundary commits."""
    await session.flush()


async def get(
    session: AsyncSession, ticket: Ticket, intervention_id: UUID, *, for_update: bool = False
) -> Intervention | None:
    """The ticket's intervention `intervention_id`; `for_update` locks it until commit."""
    statement = _of_ticket.with_for_update() if for_update else _of_ticket
    found: Intervention | None = await session.scalar(
        statement, {"id": intervention_id, "ticket_id": ticket.id}
    )
    return found


async def get_by_id(session: AsyncSession, intervention_id: UUID) -> Intervention | None:
    return await session.get(Intervention, intervention_id)


async def of_ticket(
    session: AsyncSession, ticket: Ticket, page: PageRequest
) -> Paged[Intervention]:
    """Oldest first."""
    statement = select(Intervention).where(Intervention.ticket_id == ticket.id)
    return await paginate(session, statement, TICKET_ORDER, page)


async def unsigned_on_site(
    session: AsyncSession, ticket: Ticket, *, for_update: bool = False
) -> list[Intervention]:
    """The ticket's on-site interventions still waiting for a signature, newest first."""
    statement = _unsigned_on_site.with_for_update() if for_update else _unsigned_on_site
    return list((await session.scalars(statement, {"ticket_id": ticket.id})).all())


async def signature(session: AsyncSession, intervention: Intervention) -> InterventionSignature:
    """The signature of a signed intervention (its row exists from the moment it is)."""
    found = await session.get(InterventionSignature, intervention.id)
    assert found is not None, f"signed intervention {intervention.id} without its signature"
    return found


async def agenda(
    session: AsyncSession,
    technician: str,
    since: datetime,
    until: datetime,
    page: PageRequest,
    *,
    covered: frozenset[str] | None = None,
) -> Paged[Intervention]:
    """`technician`'s visits starting in [since, until), by time (index
    `ix_intervention_agenda`), but those of cancelled tickets; `covered` (upper-cased site
    codes) limits them."""
    return await paginate(session, _agenda(technician, since, until, covered), AGENDA_ORDER, page)


async def agenda_all(
    session: AsyncSession, technician: str, since: datetime, until: datetime
) -> Sequence[Intervention]:
    """The same, unpaged: the iCalendar feed is one document."""
    statement = _agenda(technician, since, until, None).order_by(
        Intervention.planned_for, Intervention.id
    )
    return (await session.scalars(statement)).all()


def _agenda(
    technician: str, since: datetime, until: datetime, covered: frozenset[str] | None
) -> Select[Intervention]:
    # A cancelled ticket's visit will not happen: off the agenda (kept on the ticket).
    statement = (
        select(Intervention)
        .join(Ticket, Ticket.id == Intervention.ticket_id)
        .where(
            Intervention.technician == technician,
            Intervention.planned_for >= since,
            Intervention.planned_for < until,
            Ticket.status != Status.CANCELLED,
        )
    )
    if covered is not None:
        statement = statement.where(Intervention.site_code.in_(sorted(covered)))
    return statement
