"""SQL for the timetable, workshop sessions and bookings."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from uuid import UUID

from sqlalchemy import delete, func, or_, select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from garage.planning.models import SessionBooking, TimetableSlot, WorkshopSession
from garage.requests.models import GarageRequest, ServiceType
from guichet_common.pagination import KeysetOrder, Paged, PageRequest, paginate


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


@dataclass(frozen=True)
class PlannedSession:
    """A session the timetable calls for: a slot on one of its dates, at local times."""

    id: UUID
    slot: TimetableSlot
    day: date
    starts_at: datetime
    ends_at: datetime


# Monday to Friday, then the order slots were created in (the cursor cannot carry a time).
SLOT_ORDER = KeysetOrder((TimetableSlot.weekday, TimetableSlot.id))

_booked = (
    select(func.count())
    .where(SessionBooking.session_id == WorkshopSession.id)
    .correlate(WorkshopSession)
    .scalar_subquery()
)
_active = WorkshopSession.cancelled_at.is_(None)

# Generated again, a slot's date finds its session (edited, moved or cancelled) and is left.
_insert_planned = (
    insert(WorkshopSession)
    .on_conflict_do_nothing(index_elements=[WorkshopSession.slot_id, WorkshopSession.slot_date])
    .returning(WorkshopSession.id)
)


async def save(session: AsyncSession, entity: WorkshopSession | TimetableSlot) -> None:
    """Insert a new row or write what changed on a loaded one (its version checked and
    bumped)."""
    session.add(entity)
    await session.flush()


# --- timetable slots ---------------------------------------------------------------------


async def get_slot(
    session: AsyncSession, slot_id: UUID, *, for_update: bool = False
) -> TimetableSlot | None:
    statement = select(TimetableSlot).where(TimetableSlot.id == slot_id)
    if for_update:
        statement = statement.with_for_update()
    found: TimetableSlot | None = await session.scalar(statement)
    return found


async def list_slots(
    session: AsyncSession,
    page: PageRequest,
    *,
    teacher: str | None = None,
    student_group: str | None = None,
) -> Paged[TimetableSlot]:
    statement = select(TimetableSlot)
    if teacher is not None:
        statement = statement.where(TimetableSlot.teacher == teacher)
    if student_group is not None:
        statement = statement.where(TimetableSlot.student_group == student_group)
    return await paginate(session, statement, SLOT_ORDER, page)


async def slots_for_generation(
    session: AsyncSession, start: date, end: date
) -> list[TimetableSlot]:
    """Slots valid on some date of [start, end], share-locked: a slot cannot change or go
    while sessions are generated from it."""
    statement = (
        select(TimetableSlot)
        .where(
            or_(TimetableSlot.valid_from.is_(None), TimetableSlot.valid_from <= end),
            or_(TimetableSlot.valid_until.is_(None), TimetableSlot.valid_until >= start),
        )
        .order_by(TimetableSlot.id)
        .with_for_update(read=True)
    )
    return list((await session.scalars(statement)).all())


async def detach_slot(session: AsyncSession, slot: TimetableSlot) -> None:
    """Before a slot goes: its cancelled sessions are forgotten, the others stay as
    sessions of their own (their version bumped: what they show changed)."""
    await session.execute(
        delete(WorkshopSession).where(WorkshopSession.slot_id == slot.id, ~_active)
    )
    await session.execute(
        update(WorkshopSession)
        .where(WorkshopSession.slot_id == slot.id)
        .values(slot_id=None, version=WorkshopSession.version + 1)
        .execution_options(synchronize_session=False)
    )


async def remove(session: AsyncSession, entity: WorkshopSession | TimetableSlot) -> None:
    """Delete a loaded row (its version checked)."""
    await session.delete(entity)
    await session.flush()


async def insert_planned(session: AsyncSession, planned: Sequence[PlannedSession]) -> int:
    """Insert the sessions a slot's date has none of yet; returns how many were created."""
    if not planned:
        return 0
    created = await session.scalars(
        _insert_planned,
        [
            {
                "id": p.id,
                "starts_at": p.starts_at,
                "ends_at": p.ends_at,
                "bays": p.slot.bays,
                "teacher": p.slot.teacher,
                "student_group": p.slot.student_group,
                "slot_id": p.slot.id,
                "slot_date": p.day,
            }
            for p in planned
        ],
    )
    return len(created.all())


# --- workshop sessions ---------------------------------------------------------------------


async def get_session(
    session: AsyncSession, session_id: UUID, *, for_update: bool = False
) -> SessionWithBookings | None:
    """A session that is not cancelled, with its bookings (locked with `for_update`: no
    booking can be added until the transaction ends)."""
    statement = select(WorkshopSession).where(WorkshopSession.id == session_id, _active)
    if for_update:
        statement = statement.with_for_update()
    found: WorkshopSession | None = await session.scalar(statement)
    if found is None:
        return None
    booked = await session.scalar(select(func.count()).where(SessionBooking.session_id == found.id))
    return SessionWithBookings(found, booked or 0)


async def list_sessions(
    session: AsyncSession, start: datetime, end: datetime, teacher: str | None = None
) -> list[SessionWithBookings]:
    statement = select(WorkshopSession, _booked).where(
        WorkshopSession.starts_at >= start, WorkshopSession.starts_at < end, _active
    )
    if teacher is not None:
        statement = statement.where(WorkshopSession.teacher == teacher)
    rows = await session.execute(statement.order_by(WorkshopSession.starts_at, WorkshopSession.id))
    return [SessionWithBookings(found, booked) for found, booked in rows]


async def lock_sessions(
    session: AsyncSession, session_ids: Sequence[UUID]
) -> list[SessionWithBookings]:
    """Sessions locked in id order (two schedulers cannot deadlock), each with its bookings.
    A cancelled session is not among them."""
    locked = (
        await session.scalars(
            select(WorkshopSession)
            .where(WorkshopSession.id.in_(session_ids), _active)
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


async def requests_booked_in(session: AsyncSession, session_id: UUID) -> list[GarageRequest]:
    statement = (
        select(GarageRequest)
        .join(SessionBooking, SessionBooking.request_id == GarageRequest.id)
        .where(SessionBooking.session_id == session_id)
        .order_by(GarageRequest.number)
    )
    return list((await session.scalars(statement)).all())
