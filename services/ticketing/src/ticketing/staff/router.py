"""`/api/ticketing/groups…` and `/api/ticketing/technicians…`: the support groups and the
technicians tickets are assigned to. The helpdesk reads them; a supervisor manages them."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Response

from guichet_common.http import PRECONDITION_RESPONSES, PROBLEM, IfMatch, SessionDep, etag_for
from guichet_common.idempotency import IdempotencyKey, begin_idempotent
from guichet_common.pagination import Page, PageParams
from guichet_common.text import Text
from ticketing.db import plumbing
from ticketing.deps import StaffReads, SupervisorWrites
from ticketing.staff import service
from ticketing.staff.schemas import (
    GroupIn,
    GroupOut,
    GroupPatch,
    TechnicianIn,
    TechnicianOut,
    TechnicianPatch,
)

router = APIRouter(tags=["staff"])

READ_RESPONSES: dict[int | str, dict[str, Any]] = {403: PROBLEM, 404: PROBLEM}
CREATE_RESPONSES: dict[int | str, dict[str, Any]] = {403: PROBLEM, 409: PROBLEM, 422: PROBLEM}
WRITE_RESPONSES: dict[int | str, dict[str, Any]] = {
    **READ_RESPONSES,
    422: PROBLEM,
    **PRECONDITION_RESPONSES,
}

GROUP = "/groups/{code}"
TECHNICIAN = "/technicians/{login}"


# --- support groups --------------------------------------------------------------------------


@router.post("/groups", status_code=201, response_model=GroupOut, responses=CREATE_RESPONSES)
async def create_group(
    data: GroupIn,
    response: Response,
    session: SessionDep,
    supervisor: SupervisorWrites,
    idempotency_key: IdempotencyKey = None,
) -> Any:
    """A support group (409 `already-exists` on a code taken). With an `Idempotency-Key`,
    a retry returns the first answer."""
    idempotent = await begin_idempotent(
        session,
        plumbing,
        "support-group",
        idempotency_key,
        data.model_dump(mode="json"),
        owner=supervisor.subject,
    )
    if idempotent.replay is not None:
        return idempotent.replay
    group = await service.create_group(session, data, actor=supervisor.subject)
    created = GroupOut.of(group)
    await idempotent.complete_created(session, response, created, group.version)
    return created


@router.get("/groups", response_model=Page[GroupOut], responses={403: PROBLEM})
async def list_groups(
    session: SessionDep, _caller: StaffReads, page: PageParams, active: bool | None = None
) -> Page[GroupOut]:
    """By code."""
    groups = await service.list_groups(session, page, active=active)
    return Page.of(groups, GroupOut.of)


@router.get(GROUP, response_model=GroupOut, responses=READ_RESPONSES)
async def get_group(
    code: Text, response: Response, session: SessionDep, _caller: StaffReads
) -> GroupOut:
    group = await service.get_group(session, code)
    response.headers["ETag"] = etag_for(group.version)
    return GroupOut.of(group)


@router.patch(GROUP, response_model=GroupOut, responses=WRITE_RESPONSES)
async def update_group(
    code: Text,
    data: GroupPatch,
    response: Response,
    session: SessionDep,
    supervisor: SupervisorWrites,
    if_match: IfMatch = None,
) -> GroupOut:
    """Only the fields sent change (the code never does). Needs the ETag read with
    `If-Match`."""
    group = await service.update_group(
        session, code, data, if_match=if_match, actor=supervisor.subject
    )
    response.headers["ETag"] = etag_for(group.version)
    return GroupOut.of(group)


# --- technicians -----------------------------------------------------------------------------


@router.post(
    "/technicians", status_code=201, response_model=TechnicianOut, responses=CREATE_RESPONSES
)
async def create_technician(
    data: TechnicianIn,
    response: Response,
    session: SessionDep,
    supervisor: SupervisorWrites,
    idempotency_key: IdempotencyKey = None,
) -> Any:
    """A technician, known by their login (their token's `sub`; 409 `already-exists` when
    taken); each of `group_codes` must be a support group (422 naming `group_codes.N`).
    With an `Idempotency-Key`, a retry returns the first answer."""
    idempotent = await begin_idempotent(
        session,
        plumbing,
        "technician",
        idempotency_key,
        data.model_dump(mode="json"),
        owner=supervisor.subject,
    )
    if idempotent.replay is not None:
        return idempotent.replay
    technician = await service.create_technician(session, data, actor=supervisor.subject)
    created = TechnicianOut.of(technician)
    await idempotent.complete_created(session, response, created, technician.version)
    return created


@router.get("/technicians", response_model=Page[TechnicianOut], responses={403: PROBLEM})
async def list_technicians(
    session: SessionDep,
    _caller: StaffReads,
    page: PageParams,
    active: bool | None = None,
    group: Annotated[
        Text | None, Query(max_length=40, description="Only the members of this support group")
    ] = None,
) -> Page[TechnicianOut]:
    """By login."""
    technicians = await service.list_technicians(session, page, active=active, group=group)
    return Page.of(technicians, TechnicianOut.of)


@router.get(TECHNICIAN, response_model=TechnicianOut, responses=READ_RESPONSES)
async def get_technician(
    login: Text, response: Response, session: SessionDep, _caller: StaffReads
) -> TechnicianOut:
    technician = await service.get_technician(session, login)
    response.headers["ETag"] = etag_for(technician.version)
    return TechnicianOut.of(technician)


@router.patch(TECHNICIAN, response_model=TechnicianOut, responses=WRITE_RESPONSES)
async def update_technician(
    login: Text,
    data: TechnicianPatch,
    response: Response,
    session: SessionDep,
    supervisor: SupervisorWrites,
    if_match: IfMatch = None,
) -> TechnicianOut:
    """Only the fields sent change (the login never does); each of `group_codes` must be
    a support group (422 naming `group_codes.N`). Needs the ETag read with `If-Match`."""
    technician = await service.update_technician(
        session, login, data, if_match=if_match, actor=supervisor.subject
    )
    response.headers["ETag"] = etag_for(technician.version)
    return TechnicianOut.of(technician)
