"""SQL for workshop sessions and bookings."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any
from uuid import UUID

from sqlalchemy import Row, delete, func, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from garage.planning.models import session_booking, workshop_session
from garage.requests.models import garage_request

_booked = (
    select(func.count())
    .where(session_booking.c.session_id == workshop_session.c.id)
    .correlate(workshop_session)
    .scalar_subquery()
    .label("booked")
)


async def insert_session(session: AsyncSession, values: dict[str, Any]) -> Row[Any]:
    result = await session.execute(
        workshop_session.insert().values(**values).returning(workshop_session)
    )
    row: Row[Any] = result.one()
    return row


async def list_sessions(
    session: AsyncSession, start: datetime, end: datetime, teacher: str | None = None
) -> Sequence[Row[Any]]:
    statement = select(workshop_session, _booked).where(
        workshop_session.c.starts_at >= start, workshop_session.c.starts_at < end
    )
    if teacher is not None:
        statement = statement.where(workshop_session.c.teacher == teacher)
    return (
        await session.execute(
            statement.order_by(workshop_session.c.starts_at, workshop_session.c.id)
        )
    ).all()


async def lock_sessions(
    session: AsyncSession, session_ids: Sequence[UUID]
) -> list[tuple[Row[Any], int]]:
    """Sessions locked in id order (two schedulers cannot deadlock), each with its bookings."""
    locked = (
        await session.execute(
            select(workshop_session)
            .where(workshop_session.c.id.in_(session_ids))
            .order_by(workshop_session.c.id)
            .with_for_update()
        )
    ).all()
    counts: dict[UUID, int] = {
        row[0]: row[1]
        for row in await session.execute(
            select(session_booking.c.session_id, func.count())
            .where(session_booking.c.session_id.in_(session_ids))
            .group_by(session_booking.c.session_id)
        )
    }
    return [(row, counts.get(row.id, 0)) for row in locked]


async def book(session: AsyncSession, session_ids: Sequence[UUID], request_id: UUID) -> None:
    await session.execute(
        insert(session_booking)
        .values([{"session_id": sid, "request_id": request_id} for sid in session_ids])
        .on_conflict_do_nothing()
    )


async def release(session: AsyncSession, request_id: UUID) -> None:
    await session.execute(delete(session_booking).where(session_booking.c.request_id == request_id))


async def sessions_of_request(session: AsyncSession, request_id: UUID) -> Sequence[Row[Any]]:
    return (
        await session.execute(
            select(workshop_session)
            .join(session_booking, session_booking.c.session_id == workshop_session.c.id)
            .where(session_booking.c.request_id == request_id)
            .order_by(workshop_session.c.starts_at)
        )
    ).all()


async def bookings_of_sessions(session: AsyncSession, session_ids: Sequence[UUID]) -> Sequence[Any]:
    """(session_id, number, plate, make, model, service_type) for the calendar feed."""
    statement = (
        select(
            session_booking.c.session_id,
            garage_request.c.number,
            garage_request.c.plate,
            garage_request.c.make,
            garage_request.c.model,
            garage_request.c.service_type,
        )
        .join(garage_request, garage_request.c.id == session_booking.c.request_id)
        .where(session_booking.c.session_id.in_(session_ids))
        .order_by(garage_request.c.number)
    )
    return (await session.execute(statement)).all()
