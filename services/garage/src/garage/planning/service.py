"""Workshop sessions on the teaching timetable, bookings of requests into them, and the
teachers' iCalendar feed."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from datetime import date, datetime, timedelta
from functools import cache
from uuid import UUID

import holidays
from icalendar import Calendar, Event
from sqlalchemy.ext.asyncio import AsyncSession
from vacances_scolaires_france import (  # type: ignore[import-untyped]
    SchoolHolidayDates,
    UnsupportedYearException,
)

from garage import tokens
from garage.documents import PARIS
from garage.errors import SessionFull, WorkshopClosed
from garage.planning import repository
from garage.planning.models import WorkshopSession
from garage.planning.schemas import SessionIn, SessionOut
from garage.requests.models import GarageRequest
from garage.requests.schemas import SERVICE_LABELS
from garage.settings import GarageSettings
from guichet_common.events import new_event_id, utcnow
from guichet_common.http import InvalidInput, Unauthorized

CALENDAR_PURPOSE = "calendar"


@cache
def _school_holidays() -> SchoolHolidayDates:
    return SchoolHolidayDates()  # parses the CSV shipped with the package, once


def closure_reason(day: date, zone: str) -> str | None:
    """Why the workshop is closed that day (school holidays of the zone, public holidays)."""
    if day.weekday() >= 5:
        return "week-end"
    public = holidays.country_holidays("FR", years=day.year)
    if day in public:
        return f"jour férié ({public[day]})"
    try:
        info = _school_holidays().data.get(day)
        if info is not None and _school_holidays().is_holiday_for_zone(day, zone):
            return f"{info['nom_vacances']} (zone {zone})"
    except UnsupportedYearException:
        pass  # no published calendar that far ahead: the timetable decides
    return None


async def create_session(
    session: AsyncSession, settings: GarageSettings, data: SessionIn
) -> SessionOut:
    reason = closure_reason(data.starts_at.astimezone(PARIS).date(), settings.school_zone)
    if reason:
        raise WorkshopClosed(f"atelier fermé : {reason}", field="starts_at")
    created = WorkshopSession(id=new_event_id(), **data.model_dump())
    await repository.save(session, created)
    return SessionOut.of(created, booked=0)


async def list_sessions(session: AsyncSession, start: datetime, end: datetime) -> list[SessionOut]:
    found = await repository.list_sessions(session, start, end)
    return [SessionOut.of(s.session, s.booked) for s in found]


async def book(
    session: AsyncSession, request: GarageRequest, session_ids: Sequence[UUID]
) -> list[WorkshopSession]:
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
    return await repository.sessions_of_request(session, request.id)


async def release(session: AsyncSession, request: GarageRequest) -> None:
    """A cancelled request gives its bays back."""
    await repository.release(session, request.id)


async def sessions_of_request(
    session: AsyncSession, request: GarageRequest
) -> list[WorkshopSession]:
    return await repository.sessions_of_request(session, request.id)


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
