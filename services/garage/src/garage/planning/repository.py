"""SQL for workshop sessions and bookings."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

from sqlalchemy import delete, func, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from garage.planning.models import SessionBooking, WorkshopSession
from garage.requests.models import GarageRequest, ServiceType


@dataclass(frozen=True)
class SessionWithBookings:
    session: WorkshopSession
    booked: int


@dataclass(frozen=True)
class BookedCar:
    """A car booked into a session, as a teacher's calendar shows it."""

    session_id: UUID
    number: str
    plate: str
    make: str
    model: str
    service_type: ServiceType


_booked = (
    select(func.count())
    .where(SessionBooking.session_id == WorkshopSession.id)
    .correlate(WorkshopSession)
    .scalar_subquery()
)


async def save(session: AsyncSession, workshop_session: WorkshopSession) -> None:
    session.add(workshop_session)
    await session.flush()


async def list_sessions(
    session: AsyncSession, start: datetime, end: datetime, teacher: str | None = None
) -> list[SessionWithBookings]:
    statement = select(WorkshopSession, _booked).where(
        WorkshopSession.starts_at >= start, WorkshopSession.starts_at < end
    )
    if teacher is not None:
        statement = statement.where(WorkshopSession.teacher == teacher)
    rows = await session.execute(statement.order_by(WorkshopSession.starts_at, WorkshopSession.id))
    return [SessionWithBookings(found, booked) for found, booked in rows]


async def lock_sessions(
    session: AsyncSession, session_ids: Sequence[UUID]
) -> list[SessionWithBookings]:
    """Sessions locked in id order (two schedulers cannot deadlock), each with its bookings."""
    locked = (
        await session.scalars(
            select(WorkshopSession)
            .where(WorkshopSession.id.in_(session_ids))
            .order_by(WorkshopSession.id)
            .with_for_update()
        )
    ).all()
    booked = await session.execute(
        select(SessionBooking.session_id, func.count())
        .where(SessionBooking.session_id.in_(session_ids))
        .group_by(SessionBooking.session_id)
    )
    counts: dict[UUID, int] = dict(booked.all())
    return [SessionWithBookings(found, counts.get(found.id, 0)) for found in locked]


async def book(session: AsyncSession, session_ids: Sequence[UUID], request_id: UUID) -> None:
    await session.execute(
        insert(SessionBooking)
        .values([{"session_id": sid, "request_id": request_id} for sid in session_ids])
        .on_conflict_do_nothing()
    )


async def release(session: AsyncSession, request_id: UUID) -> None:
    await session.execute(delete(SessionBooking).where(SessionBooking.request_id == request_id))


async def sessions_of_request(session: AsyncSession, request_id: UUID) -> list[WorkshopSession]:
    statement = (
        select(WorkshopSession)
        .join(SessionBooking, SessionBooking.session_id == WorkshopSession.id)
        .where(SessionBooking.request_id == request_id)
        .order_by(WorkshopSession.starts_at)
    )
    return list((await session.scalars(statement)).all())


async def cars_in_sessions(session: AsyncSession, session_ids: Sequence[UUID]) -> list[BookedCar]:
    statement = (
        select(
            SessionBooking.session_id,
            GarageRequest.number,
            GarageRequest.plate,
            GarageRequest.make,
            GarageRequest.model,
            GarageRequest.service_type,
        )
        .join(GarageRequest, GarageRequest.id == SessionBooking.request_id)
        .where(SessionBooking.session_id.in_(session_ids))
        .order_by(GarageRequest.number)
    )
    return [BookedCar(*row) for row in (await session.execute(statement))]
