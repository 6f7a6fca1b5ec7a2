"""`/api/garage/sessions`, the calendar link and the iCalendar feed."""

from __future__ import annotations

from datetime import datetime, timedelta

from fastapi import APIRouter, Response

from garage.deps import SettingsDep, Teacher, TeacherReads, TeacherWrites
from garage.planning import service
from garage.planning.schemas import CalendarLink, SessionIn, SessionOut
from guichet_common.events import utcnow
from guichet_common.http import PROBLEM, SessionDep
from guichet_common.text import Text

router = APIRouter(tags=["planning"])


@router.post("/sessions", status_code=201, response_model=SessionOut, responses={422: PROBLEM})
async def create_session(
    data: SessionIn, session: SessionDep, settings: SettingsDep, _teacher: TeacherWrites
) -> SessionOut:
    """A workshop session of the teaching timetable. Refused on school and public holidays."""
    return await service.create_session(session, settings, data)


@router.get("/sessions", response_model=list[SessionOut])
async def list_sessions(
    session: SessionDep,
    _teacher: TeacherReads,
    start: datetime | None = None,
    end: datetime | None = None,
) -> list[SessionOut]:
    """Sessions starting in [start, end) (default: the next 30 days) with bays booked."""
    start = start or utcnow()
    return await service.list_sessions(session, start, end or start + timedelta(days=30))


@router.get("/calendar-link", response_model=CalendarLink)
async def calendar_link(settings: SettingsDep, teacher: Teacher) -> CalendarLink:
    """The caller's personal iCalendar URL (subscribe to it from any calendar app)."""
    token = service.calendar_token(settings, teacher.subject)
    return CalendarLink(url=f"{settings.public_base_url}/api/garage/calendar.ics?token={token}")


@router.get(
    "/calendar.ics",
    response_class=Response,
    responses={200: {"content": {"text/calendar": {}}}, 401: PROBLEM},
)
async def calendar_feed(token: Text, session: SessionDep, settings: SettingsDep) -> Response:
    """A teacher's sessions and the cars booked in them; the token stands for the login."""
    body = await service.calendar(session, settings, token)
    return Response(body, media_type="text/calendar; charset=utf-8")
