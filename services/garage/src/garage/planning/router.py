"""`/api/garage/timetable…` (weekly slots, generation of the sessions), `/api/garage/sessions`,
the calendar link and the iCalendar feed."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from fastapi import APIRouter, Response

from garage.db import plumbing
from garage.deps import SettingsDep, Teacher, TeacherReads, TeacherWrites
from garage.planning import service
from garage.planning.schemas import (
    CalendarLink,
    GenerateIn,
    GenerateOut,
    PlanBound,
    SessionIn,
    SessionOut,
    SessionPatch,
    SlotIn,
    SlotOut,
    SlotPatch,
)
from guichet_common.http import PRECONDITION_RESPONSES, PROBLEM, IfMatch, SessionDep, etag_for
from guichet_common.idempotency import IdempotencyKey, begin_idempotent
from guichet_common.pagination import Page, PageParams
from guichet_common.text import Text

router = APIRouter(tags=["planning"])

# A write to an existing slot or session: not found, or read before it last changed.
WRITE_RESPONSES: dict[int | str, dict[str, Any]] = {404: PROBLEM, **PRECONDITION_RESPONSES}


# --- the timetable -------------------------------------------------------------------------


@router.post("/timetable/slots", status_code=201, response_model=SlotOut, responses={422: PROBLEM})
async def create_slot(
    data: SlotIn,
    response: Response,
    session: SessionDep,
    teacher: TeacherWrites,
    idempotency_key: IdempotencyKey = None,
) -> Any:
    """A weekly slot of the teaching timetable (local times of the garage). With an
    `Idempotency-Key`, a retry returns the first answer."""
    idempotent = await begin_idempotent(
        session,
        plumbing,
        "timetable-slot",
        idempotency_key,
        data.model_dump(mode="json"),
        owner=teacher.subject,
    )
    if idempotent.replay is not None:
        return idempotent.replay
    slot = await service.create_slot(session, data)
    created = SlotOut.of(slot)
    await idempotent.complete_created(session, response, created, slot.version)
    return created


@router.get("/timetable/slots", response_model=Page[SlotOut])
async def list_slots(
    session: SessionDep,
    _teacher: TeacherReads,
    page: PageParams,
    teacher: Text | None = None,
    student_group: Text | None = None,
) -> Page[SlotOut]:
    """Monday to Friday; filters by teacher or student group."""
    slots = await service.list_slots(session, page, teacher=teacher, student_group=student_group)
    return Page.of(slots, SlotOut.of)


@router.get("/timetable/slots/{slot_id}", response_model=SlotOut, responses={404: PROBLEM})
async def get_slot(
    slot_id: UUID, response: Response, session: SessionDep, _teacher: TeacherReads
) -> SlotOut:
    slot = await service.get_slot(session, slot_id)
    response.headers["ETag"] = etag_for(slot.version)
    return SlotOut.of(slot)


@router.patch(
    "/timetable/slots/{slot_id}",
    response_model=SlotOut,
    responses={**WRITE_RESPONSES, 422: PROBLEM},
)
async def update_slot(
    slot_id: UUID,
    data: SlotPatch,
    response: Response,
    session: SessionDep,
    _teacher: TeacherWrites,
    if_match: IfMatch = None,
) -> SlotOut:
    """Only the fields sent change; sessions already generated stay as they are (the change
    applies to the dates generated next). Needs the ETag read with `If-Match`."""
    slot = await service.update_slot(session, slot_id, data, if_match=if_match)
    response.headers["ETag"] = etag_for(slot.version)
    return SlotOut.of(slot)


@router.delete("/timetable/slots/{slot_id}", status_code=204, responses=WRITE_RESPONSES)
async def delete_slot(
    slot_id: UUID, session: SessionDep, _teacher: TeacherWrites, if_match: IfMatch = None
) -> Response:
    """The slot leaves the timetable; the sessions generated from it stay, unlinked.
    Needs the ETag read with `If-Match`."""
    await service.delete_slot(session, slot_id, if_match=if_match)
    return Response(status_code=204)


@router.post("/timetable/generate", response_model=GenerateOut, responses={422: PROBLEM})
async def generate_sessions(
    data: GenerateIn, session: SessionDep, settings: SettingsDep, _teacher: TeacherWrites
) -> GenerateOut:
    """The sessions of the timetable's slots on every open date of [start, end] (end
    included, at most 400 days), at the slots' local times. Closed dates (public and school
    holidays) are skipped and listed with their reason. Running it again creates only what
    is missing: a session moved, changed or deleted by hand is left as it is."""
    return await service.generate(session, settings, data)


# --- workshop sessions ---------------------------------------------------------------------


@router.post("/sessions", status_code=201, response_model=SessionOut, responses={422: PROBLEM})
async def create_session(
    data: SessionIn,
    response: Response,
    session: SessionDep,
    settings: SettingsDep,
    teacher: TeacherWrites,
    idempotency_key: IdempotencyKey = None,
) -> Any:
    """A workshop session outside the timetable. Refused on school and public holidays.
    With an `Idempotency-Key`, a retry returns the first answer."""
    idempotent = await begin_idempotent(
        session,
        plumbing,
        "workshop-session",
        idempotency_key,
        data.model_dump(mode="json"),
        owner=teacher.subject,
    )
    if idempotent.replay is not None:
        return idempotent.replay
    workshop = await service.create_session(session, settings, data)
    created = SessionOut.of(workshop, booked=0)
    await idempotent.complete_created(session, response, created, workshop.version)
    return created


@router.get("/sessions", response_model=list[SessionOut])
async def list_sessions(
    session: SessionDep,
    settings: SettingsDep,
    _teacher: TeacherReads,
    start: PlanBound | None = None,
    end: PlanBound | None = None,
) -> list[SessionOut]:
    """Sessions starting in [start, end) (default: from now, for 30 days) with bays booked;
    cancelled ones are not listed. A time without offset is the garage's local time."""
    found = await service.list_sessions(session, settings, start, end)
    return [SessionOut.of(s.session, s.booked) for s in found]


@router.get("/sessions/{session_id}", response_model=SessionOut, responses={404: PROBLEM})
async def get_session(
    session_id: UUID, response: Response, session: SessionDep, _teacher: TeacherReads
) -> SessionOut:
    found = await service.get_session(session, session_id)
    response.headers["ETag"] = etag_for(found.session.version)
    return SessionOut.of(found.session, found.booked)


@router.patch(
    "/sessions/{session_id}",
    response_model=SessionOut,
    responses={**WRITE_RESPONSES, 409: PROBLEM, 422: PROBLEM},
)
async def update_session(
    session_id: UUID,
    data: SessionPatch,
    response: Response,
    session: SessionDep,
    settings: SettingsDep,
    _teacher: TeacherWrites,
    if_match: IfMatch = None,
) -> SessionOut:
    """Move it (not onto a closed day), change its bays (not below the cars booked: 409),
    teacher or group. A generated session stays linked to its slot and date, so generating
    again leaves it as it is. Needs the ETag read with `If-Match`."""
    found = await service.update_session(session, settings, session_id, data, if_match=if_match)
    response.headers["ETag"] = etag_for(found.session.version)
    return SessionOut.of(found.session, found.booked)


@router.delete(
    "/sessions/{session_id}", status_code=204, responses={**WRITE_RESPONSES, 409: PROBLEM}
)
async def delete_session(
    session_id: UUID, session: SessionDep, _teacher: TeacherWrites, if_match: IfMatch = None
) -> Response:
    """Refused (409) while cars are booked in it. A session generated from the timetable is
    cancelled, and generating again does not bring it back. Needs `If-Match`."""
    await service.delete_session(session, session_id, if_match=if_match)
    return Response(status_code=204)


# --- the teachers' calendar ------------------------------------------------------------------


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
