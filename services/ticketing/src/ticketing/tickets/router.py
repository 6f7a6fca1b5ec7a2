"""`/api/ticketing/tickets/{reference}`: a ticket's reading, its history and its checklist.
Its intake (`POST /tickets`) and editing (`PATCH`) are the lifecycle's: they move the SLA
clocks. Who sees which ticket: `deps.Viewer` (a ticket one may not see is 404)."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from fastapi import APIRouter, Response

from guichet_common.http import PRECONDITION_RESPONSES, PROBLEM, IfMatch, SessionDep, etag_for
from guichet_common.pagination import Page, PageParams
from guichet_common.text import Text
from ticketing.deps import StaffReads, StaffWrites, TicketReads
from ticketing.tickets import service
from ticketing.tickets.schemas import ChangeOut, TaskIn, TaskOut, TaskPatch, TicketOut

router = APIRouter(tags=["tickets"])

TICKET = "/tickets/{reference}"
READ_RESPONSES: dict[int | str, dict[str, Any]] = {404: PROBLEM}
# A write to an existing ticket or task: not found, closed or cancelled (409), refused, or
# read before it last changed.
WRITE_RESPONSES: dict[int | str, dict[str, Any]] = {
    404: PROBLEM,
    409: PROBLEM,
    422: PROBLEM,
    **PRECONDITION_RESPONSES,
}


@router.get(TICKET, response_model=TicketOut, responses=READ_RESPONSES)
async def get_ticket(
    reference: Text, response: Response, session: SessionDep, caller: TicketReads
) -> TicketOut:
    ticket = await service.get_ticket(session, reference, caller)
    response.headers["ETag"] = etag_for(ticket.version)
    return TicketOut.of(ticket)


@router.get(f"{TICKET}/history", response_model=Page[ChangeOut], responses=READ_RESPONSES)
async def ticket_history(
    reference: Text, session: SessionDep, caller: StaffReads, page: PageParams
) -> Page[ChangeOut]:
    """Who did what and when, oldest first: each field changed with its old and new value."""
    changes = await service.history(session, reference, caller, page)
    return Page.of(changes, ChangeOut.of)


# --- the checklist ---------------------------------------------------------------------------


@router.get(f"{TICKET}/tasks", response_model=list[TaskOut], responses=READ_RESPONSES)
async def list_tasks(reference: Text, session: SessionDep, caller: TicketReads) -> list[TaskOut]:
    """The checklist in order (a handful of steps: not paged)."""
    return [TaskOut.of(task) for task in await service.list_tasks(session, reference, caller)]


@router.post(
    f"{TICKET}/tasks",
    status_code=201,
    response_model=TaskOut,
    responses={404: PROBLEM, 409: PROBLEM, 422: PROBLEM},
)
async def add_task(
    reference: Text, data: TaskIn, response: Response, session: SessionDep, caller: StaffWrites
) -> TaskOut:
    """A step added to the end of the checklist (409 once the ticket is closed or
    cancelled)."""
    task = await service.add_task(session, reference, data, caller)
    response.headers["ETag"] = etag_for(task.version)
    return TaskOut.of(task)


@router.patch(f"{TICKET}/tasks/{{task_id}}", response_model=TaskOut, responses=WRITE_RESPONSES)
async def update_task(
    reference: Text,
    task_id: UUID,
    data: TaskPatch,
    response: Response,
    session: SessionDep,
    caller: StaffWrites,
    if_match: IfMatch = None,
) -> TaskOut:
    """Mark a step done (who and when are recorded) or not, its duration, its label. Needs
    the task's ETag (`version`) with `If-Match`."""
    task = await service.update_task(session, reference, task_id, data, caller, if_match=if_match)
    response.headers["ETag"] = etag_for(task.version)
    return TaskOut.of(task)
