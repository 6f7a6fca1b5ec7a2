"""`/api/garage/requests…`: the teachers' view of requests (list, read, assign, stats).
Submissions and transitions belong to the lifecycle (`garage.lifecycle.router`)."""

from __future__ import annotations

from fastapi import APIRouter, Response

from garage.deps import SettingsDep, TeacherReads, TeacherWrites
from garage.requests import service
from garage.requests.models import RequestStatus
from garage.requests.schemas import Assignment, RequestDetail, RequestStats, RequestSummary
from guichet_common.http import PRECONDITION_RESPONSES, PROBLEM, IfMatch, SessionDep, etag_for
from guichet_common.pagination import Page, PageParams
from guichet_common.text import Text

router = APIRouter(tags=["requests"])


@router.get("/requests", response_model=Page[RequestSummary])
async def list_requests(
    session: SessionDep,
    _teacher: TeacherReads,
    page: PageParams,
    status: RequestStatus | None = None,
    overdue: bool | None = None,
) -> Page[RequestSummary]:
    """Newest first. `overdue=true`: requests with a missed quote or diagnosis deadline."""
    paged = await service.list_requests(session, status=status, overdue=overdue, page=page)
    return Page.of(paged, RequestSummary.of)


@router.get("/requests/{number}", response_model=RequestDetail, responses={404: PROBLEM})
async def get_request(
    number: Text,
    response: Response,
    session: SessionDep,
    settings: SettingsDep,
    _teacher: TeacherReads,
) -> RequestDetail:
    request = await service.get_request(session, number)
    response.headers["ETag"] = etag_for(request.version)
    return await service.detail(session, settings, request)


@router.put(
    "/requests/{number}/assignment",
    response_model=RequestDetail,
    responses={404: PROBLEM, **PRECONDITION_RESPONSES},
)
async def assign_request(
    number: Text,
    data: Assignment,
    response: Response,
    session: SessionDep,
    settings: SettingsDep,
    teacher: TeacherWrites,
    if_match: IfMatch = None,
) -> RequestDetail:
    """Teacher(s) and student group. Needs the ETag read with `If-Match`."""
    request = await service.assign(session, number, data, actor=teacher.subject, if_match=if_match)
    response.headers["ETag"] = etag_for(request.version)
    return await service.detail(session, settings, request)


@router.get("/stats", response_model=RequestStats)
async def request_stats(session: SessionDep, _teacher: TeacherReads) -> RequestStats:
    """Requests per type and status, mean hours from submission to quote and to hand-back."""
    return await service.stats(session)
