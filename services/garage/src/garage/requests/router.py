"""`/api/garage/requests…`: public submission (SPAs) and the teachers' API."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Header, Query, Request, Response
from fastapi.responses import JSONResponse

from garage.db import plumbing
from garage.deps import PublicGuard, SettingsDep, TeacherDep, intake_of, settings_of
from garage.requests import service
from garage.requests.models import RequestStatus
from garage.requests.schemas import (
    Assignment,
    RequestDetail,
    RequestStats,
    RequestSubmission,
    RequestSummary,
    SubmittedRequest,
    TransitionRequest,
)
from garage.settings import GarageSettings
from guichet_common.db import unit_of_work
from guichet_common.http import Page, SessionDep, begin_idempotent, decode_cursor, encode_cursor

router = APIRouter(tags=["requests"])

PROBLEM: dict[str, Any] = {"content": {"application/problem+json": {}}}


# The public route reads this header itself: FastAPI's machinery for a declared parameter
# costs the hot path about 5 % of its time. Documented as FastAPI documents one.
IDEMPOTENCY_KEY_PARAMETER: dict[str, Any] = {
    "name": "idempotency-key",
    "in": "header",
    "required": False,
    "schema": {"anyOf": [{"type": "string"}, {"type": "null"}], "title": "Idempotency-Key"},
}


@router.post(
    "/requests",
    status_code=201,
    response_model=SubmittedRequest,
    responses={422: PROBLEM, 429: PROBLEM, 413: PROBLEM},
    dependencies=[PublicGuard],
    openapi_extra={"parameters": [IDEMPOTENCY_KEY_PARAMETER]},
)
async def submit_request(data: RequestSubmission, request: Request) -> Any:
    """Public (no auth): a client's request, as the form sends it. Rate-limited per IP.

    With an `Idempotency-Key` the request is stored in the same transaction as the key;
    without, it joins the intake's next batch."""
    # No session, settings or intake dependency: the batched path needs no session, and
    # each dependency costs the hot path its resolution.
    settings = settings_of(request)
    idempotency_key = request.headers.get("idempotency-key")
    if idempotency_key is None:
        row = await intake_of(request).submit(data)
        return JSONResponse(_submitted(settings, row), status_code=201)
    async with unit_of_work(request.app.state.session_factory) as session:
        idempotent = await begin_idempotent(
            session, plumbing, "submit-request", idempotency_key, data.model_dump(mode="json")
        )
        if idempotent.replay is not None:
            return idempotent.replay
        body = _submitted(settings, await service.submit(session, settings, data))
        await idempotent.complete(session, 201, body)
    return JSONResponse(body, status_code=201)


def _submitted(settings: GarageSettings, submitted: service.Submitted) -> dict[str, Any]:
    """`SubmittedRequest` as JSON, built directly (the public route's hot path)."""
    return {
        "number": submitted.number,
        "status": submitted.status.value,
        "tracking_url": service.tracking_url(settings, submitted),
    }


@router.get("/requests", response_model=Page[RequestSummary])
async def list_requests(
    session: SessionDep,
    _teacher: TeacherDep,
    status: RequestStatus | None = None,
    overdue: bool | None = None,
    cursor: str | None = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
) -> Page[RequestSummary]:
    """Newest first. `overdue=true`: requests with a missed quote or diagnosis deadline."""
    after = None
    if cursor:
        at, request_id = decode_cursor(cursor, 2)
        after = (datetime.fromisoformat(at), UUID(request_id))
    rows = await service.list_requests(
        session, status=status, overdue=overdue, after=after, limit=limit + 1
    )
    items = [service.summary(row) for row in rows[:limit]]
    next_cursor = (
        encode_cursor([rows[limit - 1].submitted_at.isoformat(), rows[limit - 1].id])
        if len(rows) > limit
        else None
    )
    return Page(items=items, next_cursor=next_cursor)


@router.get("/requests/{number}", response_model=RequestDetail, responses={404: PROBLEM})
async def get_request(
    number: str,
    response: Response,
    session: SessionDep,
    settings: SettingsDep,
    _teacher: TeacherDep,
) -> RequestDetail:
    row = await service.get_request(session, number)
    response.headers["ETag"] = service.etag(row)
    return await service.detail(session, settings, row)


@router.put(
    "/requests/{number}/assignment",
    response_model=RequestDetail,
    responses={404: PROBLEM, 412: PROBLEM, 428: PROBLEM},
)
async def assign_request(
    number: str,
    data: Assignment,
    response: Response,
    session: SessionDep,
    settings: SettingsDep,
    teacher: TeacherDep,
    if_match: Annotated[str | None, Header()] = None,
) -> RequestDetail:
    """Teacher(s) and student group. Needs the ETag read with `If-Match`."""
    row = await service.assign(session, number, data, actor=teacher.subject, if_match=if_match)
    response.headers["ETag"] = service.etag(row)
    return await service.detail(session, settings, row)


@router.post(
    "/requests/{number}/transitions",
    response_model=RequestDetail,
    responses={404: PROBLEM, 409: PROBLEM, 412: PROBLEM},
)
async def transition_request(
    number: str,
    command: TransitionRequest,
    response: Response,
    session: SessionDep,
    settings: SettingsDep,
    teacher: TeacherDep,
    if_match: Annotated[str | None, Header()] = None,
) -> RequestDetail:
    """`triage`, `schedule` (with `session_ids`), `start` (409 without an accepted quote),
    `finish`, `hand_back`, `archive`, `cancel`. An illegal one is 409 with `allowed_actions`."""
    row = await service.transition(
        session, settings, number, command, actor=teacher.subject, if_match=if_match
    )
    response.headers["ETag"] = service.etag(row)
    return await service.detail(session, settings, row)


@router.get("/stats", response_model=RequestStats)
async def request_stats(session: SessionDep, _teacher: TeacherDep) -> RequestStats:
    """Requests per type and status, mean hours from submission to quote and to hand-back."""
    return await service.stats(session)
