"""The teaching timetable and the workshop sessions generated from it, sessions created or
changed one by one, bookings of requests into them, and the teachers' iCalendar feed.

A session generated from a slot remembers the slot and the date (`slot_id`, `slot_date`):
generating again creates only the sessions no one has yet, and never touches one a
teacher moved, resized or cancelled. Deleting a generated session therefore cancels it
(`cancelled_at`) instead of removing it: the mark keeps it from coming back; every list
hides it. A session created by hand has nothing to remember and is removed."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator, Sequence
from datetime import date, datetime, time, timedelta
from uuid import UUID
from zoneinfo import ZoneInfo

from icalendar import Calendar, Event
from sqlalchemy.ext.asyncio import AsyncSession

from garage import tokens, workdays
from garage.errors import BaysBelowBookings, SessionFull, SessionHasBookings, WorkshopClosed
from garage.events import RequestScheduledV1, ScheduledSession, outbox
from garage.planning import repository
from garage.planning.models import TimetableSlot, WorkshopSession
from garage.planning.repository import PlannedSession, SessionWithBookings
from garage.planning.schemas import (
    GenerateIn,
    GenerateOut,
    SessionIn,
    SessionPatch,
    SkippedDay,
    SlotIn,
    SlotPatch,
)
from garage.requests import service as requests
from garage.requests.models import GarageRequest
from garage.requests.schemas import SERVICE_LABELS
from garage.settings import GarageSettings
from guichet_common.events import new_event_id, utcnow
from guichet_common.http import InvalidInput, NotFound, Unauthorized, check_if_match
from guichet_common.pagination import Paged, PageRequest

CALENDAR_PURPOSE = "calendar"


# Planning's own conflicts (their place is `garage.errors`: to move there).
# --- the workshop's calendar ---------------------------------------------------------------


def _closure(settings: GarageSettings, day: date) -> str | None:
    return workdays.closure_reason(day, settings.school_zone, settings.department)


def _check_times(settings: GarageSettings, starts_at: datetime, ends_at: datetime) -> None:
    """A session starts before it ends, within one local day the workshop is open."""
    if ends_at <= starts_at:
        raise InvalidInput("ends_at must be after starts_at", field="ends_at")
    day = starts_at.astimezone(settings.zone).date()
    if ends_at.astimezone(settings.zone).date() != day:
        raise InvalidInput(
            "ends_at must fall on the local day of starts_at (a session fits in one day)",
            field="ends_at",
        )
    reason = _closure(settings, day)
    if reason:
        closed = f"atelier fermé : {reason}"
        raise WorkshopClosed(
            closed, field="starts_at", errors=[{"field": "starts_at", "message": closed}]
        )


def _local(day: date, at: time, zone: ZoneInfo) -> datetime:
    """`day` at the wall-clock time `at` of `zone` (its offset that day: summer or winter)."""
    return datetime.combine(day, at, tzinfo=zone)


def _in_zone(moment: datetime, zone: ZoneInfo) -> datetime:
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=zone)


def _dates_of(slot: TimetableSlot, start: date, end: date) -> Iterator[date]:
    """The dates of [start, end] on the slot's weekday, within its validity."""
    first = max(start, slot.valid_from or start)
    last = min(end, slot.valid_until or end)
    day = first + timedelta(days=(slot.weekday - first.weekday()) % 7)
    while day <= last:
        yield day
        day += timedelta(days=7)


# --- timetable slots -----------------------------------------------------------------------


async def create_slot(session: AsyncSession, data: SlotIn) -> TimetableSlot:
    slot = TimetableSlot(id=new_event_id(), **data.model_dump())
    await repository.save(session, slot)
    return slot


async def list_slots(
    session: AsyncSession,
    page: PageRequest,
    *,
    teacher: str | None = None,
    student_group: str | None = None,
) -> Paged[TimetableSlot]:
    return await repository.list_slots(session, page, teacher=teacher, student_group=student_group)


async def get_slot(
    session: AsyncSession, slot_id: UUID, *, for_update: bool = False
) -> TimetableSlot:
    slot = await repository.get_slot(session, slot_id, for_update=for_update)
    if slot is None:
        raise NotFound(f"no timetable slot {slot_id}")
    return slot


async def update_slot(
    session: AsyncSession, slot_id: UUID, data: SlotPatch, *, if_match: str | None
) -> TimetableSlot:
    """Only the fields sent change. Sessions already generated stay as they are."""
    slot = await get_slot(session, slot_id, for_update=True)
    check_if_match(if_match, slot.version)
    changes = data.model_dump(exclude_unset=True)
    start_time = changes.get("start_time", slot.start_time)
    end_time = changes.get("end_time", slot.end_time)
    if end_time <= start_time:
        field = "end_time" if "end_time" in changes else "start_time"
        raise InvalidInput("end_time must be after start_time", field=field)
    valid_from = changes.get("valid_from", slot.valid_from)
    valid_until = changes.get("valid_until", slot.valid_until)
    if valid_from is not None and valid_until is not None and valid_until < valid_from:
        field = "valid_until" if "valid_until" in changes else "valid_from"
        raise InvalidInput("valid_until must not be before valid_from", field=field)
    for name, value in changes.items():
        setattr(slot, name, value)
    await repository.save(session, slot)
    return slot


async def delete_slot(session: AsyncSession, slot_id: UUID, *, if_match: str | None) -> None:
    """The slot leaves the timetable. Its sessions already generated stay, as sessions of
    their own (cars may be booked in them); its cancelled ones are forgotten."""
    slot = await get_slot(session, slot_id, for_update=True)
    check_if_match(if_match, slot.version)
    await repository.detach_slot(session, slot)
    await repository.remove(session, slot)


async def generate(
    session: AsyncSession, settings: GarageSettings, data: GenerateIn
) -> GenerateOut:
    """One session per slot and open date of [start, end]; what exists already is left."""
    closures: dict[date, str | None] = {}
    planned: list[PlannedSession] = []
    for slot in await repository.slots_for_generation(session, data.start, data.end):
        for day in _dates_of(slot, data.start, data.end):
            if day not in closures:
                closures[day] = _closure(settings, day)
            if closures[day] is None:
                planned.append(
                    PlannedSession(
                        id=new_event_id(),
                        slot=slot,
                        day=day,
                        starts_at=_local(day, slot.start_time, settings.zone),
                        ends_at=_local(day, slot.end_time, settings.zone),
                    )
                )
    created = await repository.insert_planned(session, planned)
    return GenerateOut(
        created=created,
        already_existed=len(planned) - created,
        skipped=[
            SkippedDay(date=day, reason=reason)
            for day, reason in sorted(closures.items())
            if reason is not None
        ],
    )


# --- workshop sessions ---------------------------------------------------------------------


async def create_session(
    session: AsyncSession, settings: GarageSettings, data: SessionIn
) -> WorkshopSession:
    """A session outside the timetable (or beside it). Refused on the days it is closed."""
    _check_times(settings, data.starts_at, data.ends_at)
    created = WorkshopSession(id=new_event_id(), **data.model_dump())
    await repository.save(session, created)
    return created


async def get_session(
    session: AsyncSession, session_id: UUID, *, for_update: bool = False
) -> SessionWithBookings:
    found = await repository.get_session(session, session_id, for_update=for_update)
    if found is None:
        raise NotFound(f"no workshop session {session_id}")
    return found


async def update_session(
    session: AsyncSession,
    settings: GarageSettings,
    session_id: UUID,
    data: SessionPatch,
    *,
    if_match: str | None,
) -> SessionWithBookings:
    """Move it, resize it, change its teacher or group; it keeps its timetable link, so
    generating again leaves it as it is now."""
    found = await get_session(session, session_id, for_update=True)
    workshop = found.session
    check_if_match(if_match, workshop.version)
    changes = data.model_dump(exclude_unset=True)
    if "starts_at" in changes or "ends_at" in changes:
        _check_times(
            settings,
            changes.get("starts_at", workshop.starts_at),
            changes.get("ends_at", workshop.ends_at),
        )
    if changes.get("bays", workshop.bays) < found.booked:
        raise BaysBelowBookings(
            f"{found.booked} car(s) are booked in this session: at least {found.booked} bays",
            field="bays",
            booked=found.booked,
        )
    moved = any(
        name in changes and changes[name] != getattr(workshop, name)
        for name in ("starts_at", "ends_at")
    )
    for name, value in changes.items():
        setattr(workshop, name, value)
    await repository.save(session, workshop)
    if moved:  # the clients booked in it were given the old times
        for request in await repository.requests_booked_in(session, workshop.id):
            await announce_schedule(
                session, settings, request, "Rendez-vous modifié au garage pédagogique"
            )
    return SessionWithBookings(workshop, found.booked)


async def announce_schedule(
    session: AsyncSession, settings: GarageSettings, request: GarageRequest, subject: str
) -> None:
    """The client's appointments: every session the request is booked in, as they are now."""
    booked = await repository.sessions_of_request(session, request.id)
    await outbox.publish(
        session,
        RequestScheduledV1(
            **requests.event_fields(settings, request, subject),
            sessions=[ScheduledSession(starts_at=s.starts_at, ends_at=s.ends_at) for s in booked],
            teachers=sorted({*request.teachers, *(s.teacher for s in booked)}),
            student_group=request.student_group,
        ),
        subject=request.number,
    )


async def delete_session(session: AsyncSession, session_id: UUID, *, if_match: str | None) -> None:
    """Refused while cars are booked in it. A generated session is cancelled (kept as a
    mark, so generating again does not bring it back); one created by hand is removed."""
    found = await get_session(session, session_id, for_update=True)
    workshop = found.session
    check_if_match(if_match, workshop.version)
    if found.booked:
        raise SessionHasBookings(
            f"{found.booked} car(s) are booked in this session: reschedule them first",
            booked=found.booked,
        )
    if workshop.slot_id is None:
        await repository.remove(session, workshop)
    else:
        workshop.cancelled_at = utcnow()
        await repository.save(session, workshop)


async def list_sessions(
    session: AsyncSession, settings: GarageSettings, start: datetime | None, end: datetime | None
) -> list[SessionWithBookings]:
    """Sessions starting in [start, end): from now and for 30 days unless said; a bound
    without an offset is the garage's local time."""
    since = utcnow() if start is None else _in_zone(start, settings.zone)
    until = since + timedelta(days=30) if end is None else _in_zone(end, settings.zone)
    return await repository.list_sessions(session, since, until)


async def book(session: AsyncSession, request: GarageRequest, session_ids: Sequence[UUID]) -> None:
    """The request takes a bay in each session, or none if one is unknown or full."""
    if not session_ids:
        raise InvalidInput("schedule needs at least one workshop session", field="session_ids")
    locked = await repository.lock_sessions(session, sorted(set(session_ids)))
    missing = set(session_ids) - {s.session.id for s in locked}
    if missing:
        raise InvalidInput(
            f"unknown workshop session(s): {', '.join(map(str, sorted(missing)))}",
            field="session_ids",
        )
    full = [s.session for s in locked if s.booked >= s.session.bays]
    if full:
        raise SessionFull(
            f"no free bay in session(s) starting {', '.join(str(s.starts_at) for s in full)}",
            session_ids=[str(s.id) for s in full],
        )
    await repository.book(session, [s.session.id for s in locked], request.id)


async def release(session: AsyncSession, request: GarageRequest) -> None:
    """A cancelled request gives its bays back."""
    await repository.release(session, request.id)


async def sessions_of_request(
    session: AsyncSession, request: GarageRequest
) -> list[WorkshopSession]:
    return await repository.sessions_of_request(session, request.id)


# --- the teachers' calendar feed ------------------------------------------------------------


def calendar_token(settings: GarageSettings, teacher: str) -> str:
    return tokens.sign(teacher, settings.jwt_secret.get_secret_value(), CALENDAR_PURPOSE)


async def calendar(session: AsyncSession, settings: GarageSettings, token: str) -> bytes:
    """The feed of one teacher's sessions, from 30 days back, with the cars booked in."""
    teacher = tokens.verify(token, settings.jwt_secret.get_secret_value(), CALENDAR_PURPOSE)
    if teacher is None:
        raise Unauthorized("invalid calendar token")
    now = utcnow()
    found = await repository.list_sessions(
        session, now - timedelta(days=30), now + timedelta(days=365), teacher=teacher
    )
    cars = defaultdict(list)
    for car in await repository.cars_in_sessions(session, [s.session.id for s in found]):
        cars[car.session_id].append(car)
    feed = Calendar()
    feed.add("prodid", "-//Guichet//Garage pédagogique//FR")
    feed.add("version", "2.0")
    feed.add("x-wr-calname", f"Atelier — {teacher}")
    for entry in found:
        workshop = entry.session
        booked = cars[workshop.id]
        event = Event()
        event.add("uid", f"{workshop.id}@guichet-garage")
        event.add("dtstamp", now)
        event.add("dtstart", workshop.starts_at)
        event.add("dtend", workshop.ends_at)
        event.add(
            "summary",
            f"Atelier {workshop.student_group} — {len(booked)}/{workshop.bays} véhicule(s)",
        )
        event.add(
            "description",
            "\n".join(
                f"{c.number} : {c.plate} {c.make} {c.model} ({SERVICE_LABELS[c.service_type]})"
                for c in booked
            )
            or "Aucun véhicule réservé",
        )
        feed.add_component(event)
    body: bytes = feed.to_ical()
    return body
