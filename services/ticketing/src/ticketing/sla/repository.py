"""Every query of the SLA: targets, clocks, their periods, and the worker's due clocks."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from ticketing.sla.models import SlaClock, SlaPeriod, SlaTarget
from ticketing.tickets.models import Ticket

_TARGETS = select(SlaTarget).order_by(SlaTarget.priority)
# Locked until commit, read as stored (not as this session last saw them): a replacement
# is checked against the current version.
_TARGETS_FOR_UPDATE = _TARGETS.with_for_update().execution_options(populate_existing=True)


async def targets(session: AsyncSession) -> list[SlaTarget]:
    """The six targets by priority (seeded by the migration: they always exist)."""
    return list((await session.scalars(_TARGETS)).all())


async def targets_for_update(session: AsyncSession) -> list[SlaTarget]:
    return list((await session.scalars(_TARGETS_FOR_UPDATE)).all())


async def target(session: AsyncSession, priority: int) -> SlaTarget:
    found = await session.get(SlaTarget, priority)
    assert found is not None, "the migration seeds a target for every priority, 1 to 6"
    return found


async def clocks(
    session: AsyncSession, ticket_id: UUID, *, for_update: bool = False
) -> list[SlaClock]:
    """The ticket's clocks (none for a ticket opened before the SLA existed), TTO first.
    Locked, they are read as stored: the worker may have moved them since this session
    last saw them."""
    statement = select(SlaClock).where(SlaClock.ticket_id == ticket_id).order_by(SlaClock.kind)
    if for_update:
        statement = statement.with_for_update().execution_options(populate_existing=True)
    return list((await session.scalars(statement)).all())


async def periods(session: AsyncSession, ticket_id: UUID) -> list[SlaPeriod]:
    """Every period of the ticket's clocks, in the order they began (one query, whatever
    their number)."""
    statement = (
        select(SlaPeriod)
        .where(SlaPeriod.ticket_id == ticket_id)
        .order_by(SlaPeriod.kind, SlaPeriod.id)
    )
    return list((await session.scalars(statement)).all())


def add_period(
    session: AsyncSession,
    clock: SlaClock,
    started_at: datetime,
    *,
    paused: bool,
    reason: str,
    ended_at: datetime | None = None,
) -> None:
    session.add(
        SlaPeriod(
            ticket_id=clock.ticket_id,
            kind=clock.kind,
            started_at=started_at,
            ended_at=ended_at,
            paused=paused,
            reason=reason,
        )
    )


async def end_period(session: AsyncSession, clock: SlaClock, ended_at: datetime) -> None:
    """The clock's open period ends (there is one while it runs or is paused)."""
    await session.execute(
        update(SlaPeriod)
        .where(
            SlaPeriod.ticket_id == clock.ticket_id,
            SlaPeriod.kind == clock.kind,
            SlaPeriod.ended_at.is_(None),
        )
        .values(ended_at=ended_at)
        .execution_options(synchronize_session=False)
    )


@dataclass(frozen=True)
class DueClock:
    """A clock the worker has something to say about, and its ticket (for the event)."""

    clock: SlaClock
    ticket: Ticket


async def claim_due(session: AsyncSession, now: datetime, limit: int) -> list[DueClock]:
    """Up to `limit` clocks due by `now`, the most overdue first, with their tickets, in one
    query served by the partial index `ix_sla_clock_next_check`. The clocks are locked and
    the ones another worker holds are skipped; the tickets are read, not locked (a worker
    never waits for a person's write)."""
    statement = (
        select(SlaClock, Ticket)
        .join(Ticket, Ticket.id == SlaClock.ticket_id)
        .where(SlaClock.next_check_at <= now)
        .order_by(SlaClock.next_check_at)
        .limit(limit)
        .with_for_update(of=SlaClock, skip_locked=True)
        .execution_options(populate_existing=True)
    )
    rows = await session.execute(statement)
    return [DueClock(clock, ticket) for clock, ticket in rows]


async def running_clocks_of_site(session: AsyncSession, site_code: str) -> Sequence[SlaClock]:
    """The running clocks of the site's tickets (only open tickets have one), locked."""
    statement = (
        select(SlaClock)
        .join(Ticket, Ticket.id == SlaClock.ticket_id)
        .where(Ticket.site_code == site_code, SlaClock.running_since.is_not(None))
        .order_by(SlaClock.ticket_id, SlaClock.kind)
        .with_for_update(of=SlaClock)
        .execution_options(populate_existing=True)
    )
    return (await session.scalars(statement)).all()


async def save(session: AsyncSession) -> None:
    """Send what changed; the boundary commits."""
    await session.flush()
