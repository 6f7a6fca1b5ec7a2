"""Workshop sessions on the teaching timetable, and the teachers' iCalendar feed."""

from __future__ import annotations

from collections import defaultdict
from datetime import date, datetime, timedelta
from functools import cache

import holidays
from icalendar import Calendar, Event
from sqlalchemy.ext.asyncio import AsyncSession
from vacances_scolaires_france import (  # type: ignore[import-untyped]
    SchoolHolidayDates,
    UnsupportedYearException,
)

from garage import tokens
from garage.documents import PARIS
from garage.errors import WorkshopClosed
from garage.planning import repository
from garage.planning.schemas import SessionIn, SessionOut
from garage.requests.schemas import SERVICE_LABELS
from garage.settings import GarageSettings
from guichet_common.events import new_event_id, utcnow
from guichet_common.http import Unauthorized

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
    row = await repository.insert_session(session, {"id": new_event_id(), **data.model_dump()})
    return SessionOut(**row._mapping, booked=0)


async def list_sessions(session: AsyncSession, start: datetime, end: datetime) -> list[SessionOut]:
    rows = await repository.list_sessions(session, start, end)
    return [SessionOut(**row._mapping) for row in rows]


def calendar_token(settings: GarageSettings, teacher: str) -> str:
    return tokens.sign(teacher, settings.jwt_secret.get_secret_value(), CALENDAR_PURPOSE)


async def calendar(session: AsyncSession, settings: GarageSettings, token: str) -> bytes:
    """The feed of one teacher's sessions, from 30 days back, with the cars booked in."""
    teacher = tokens.verify(token, settings.jwt_secret.get_secret_value(), CALENDAR_PURPOSE)
    if teacher is None:
        raise Unauthorized("invalid calendar token")
    now = utcnow()
    rows = await repository.list_sessions(
        session, now - timedelta(days=30), now + timedelta(days=365), teacher=teacher
    )
    bookings = defaultdict(list)
    for booking in await repository.bookings_of_sessions(session, [r.id for r in rows]):
        bookings[booking.session_id].append(booking)
    feed = Calendar()
    feed.add("prodid", "-//Guichet//Garage pédagogique//FR")
    feed.add("version", "2.0")
    feed.add("x-wr-calname", f"Atelier — {teacher}")
    for row in rows:
        event = Event()
        event.add("uid", f"{row.id}@guichet-garage")
        event.add("dtstamp", now)
        event.add("dtstart", row.starts_at)
        event.add("dtend", row.ends_at)
        cars = bookings[row.id]
        event.add("summary", f"Atelier {row.student_group} — {len(cars)}/{row.bays} véhicule(s)")
        event.add(
            "description",
            "\n".join(
                f"{b.number} : {b.plate} {b.make} {b.model} ({SERVICE_LABELS[b.service_type]})"
                for b in cars
            )
            or "Aucun véhicule réservé",
        )
        feed.add_component(event)
    body: bytes = feed.to_ical()
    return body
