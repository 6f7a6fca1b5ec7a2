"""`POST /api/garage/requests` (the public submission, for SPAs) and
`POST /api/garage/requests/{number}/transitions` (the teachers' actions)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Response

from garage.db import plumbing
from garage.deps import PublicSubmission, SettingsDep, TeacherWrites
from garage.lifecycle import service
from garage.requests import service as requests
from garage.requests.schemas import (
    RequestDetail,
    RequestSubmission,
    SubmittedRequest,
    TransitionRequest,
)
from guichet_common.http import PRECONDITION_RESPONSES, PROBLEM, IfMatch, SessionDep, etag_for
from guichet_common.idempotency import IdempotencyKey, begin_idempotent
from guichet_common.text import Text

router = APIRouter(tags=["requests"])


@router.post(
    "/requests",
    status_code=201,
    response_model=SubmittedRequest,
    responses={413: PROBLEM, 422: PROBLEM, 429: PROBLEM},
    dependencies=[PublicSubmission],
)
async def submit_request(
    data: RequestSubmission,
    session: SessionDep,
    settings: SettingsDep,
    idempotency_key: IdempotencyKey = None,
) -> Any:
    """Public (no auth): a client's request, as the form sends it. Rate-limited per client
    address. With an `Idempotency-Key`, a retry returns the first answer."""
    idempotent = await begin_idempotent(
        session, plumbing, "submit-request", idempotency_key, data.model_dump(mode="json")
    )
    if idempotent.replay is not None:
        return idempotent.replay
    request = await service.submit(session, settings, data)
    submitted = SubmittedRequest(
        number=request.number,
        status=request.status,
        tracking_url=requests.tracking_url(settings, request),
    )
    await idempotent.complete(session, 201, submitted.model_dump(mode="json"))
    return submitted


@router.post(
    "/requests/{number}/transitions",
    response_model=RequestDetail,
    responses={404: PROBLEM, 409: PROBLEM, **PRECONDITION_RESPONSES},
)
async def transition_request(
    number: Text,
    command: TransitionRequest,
    response: Response,
    session: SessionDep,
    settings: SettingsDep,
    teacher: TeacherWrites,
    if_match: IfMatch = None,
) -> RequestDetail:
    """`triage`; `drop_off` (`dropped_off_on`, default today: the diagnosis is due 2
    working days later) and `diagnose` (`diagnosis`), which keep the status; `schedule`
    (with `session_ids`); `start` (409 without an accepted quote); `finish` (with the
    odometer's `mileage_km`); `hand_back`, `archive`, `cancel`. An illegal one is 409 with
    `allowed_actions`. Needs the ETag read with `If-Match`."""
    request = await service.transition(
        session, settings, number, command, actor=teacher.subject, if_match=if_match
    )
    response.headers["ETag"] = etag_for(request.version)
    return await requests.detail(session, settings, request)
