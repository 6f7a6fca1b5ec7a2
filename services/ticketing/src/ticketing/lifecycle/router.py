"""The ticket's lifecycle over HTTP: its submission (`POST /tickets`), its edits (`PATCH
/tickets/{reference}`) and its actions (`POST /tickets/{reference}/transitions`). The first
two are documented with the tickets (their tag); they live here because they start or move
the SLA clocks, which the tickets package sits below."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Response

from guichet_common.http import PRECONDITION_RESPONSES, PROBLEM, IfMatch, SessionDep, etag_for
from guichet_common.idempotency import IdempotencyKey, begin_idempotent
from guichet_common.text import Text
from ticketing.db import plumbing
from ticketing.deps import SettingsDep, StaffWrites, TicketWrites
from ticketing.lifecycle import service
from ticketing.lifecycle.schemas import TransitionIn
from ticketing.tickets.schemas import TicketIn, TicketOut, TicketPatch

router = APIRouter()

# A write to an existing ticket: not found, closed or cancelled (409), refused, or read
# before it last changed.
WRITE_RESPONSES: dict[int | str, dict[str, Any]] = {
    404: PROBLEM,
    409: PROBLEM,
    422: PROBLEM,
    **PRECONDITION_RESPONSES,
}


@router.post(
    "/tickets",
    status_code=201,
    response_model=TicketOut,
    responses={403: PROBLEM, 422: PROBLEM},
    tags=["tickets"],
)
async def create_ticket(
    data: TicketIn,
    response: Response,
    session: SessionDep,
    settings: SettingsDep,
    caller: TicketWrites,
    idempotency_key: IdempotencyKey = None,
) -> Any:
    """An incident or a request. `site_code` must name a site of the park (422 otherwise;
    a site registered a moment ago is known once imaging's event is consumed); an asset tag
    the park knows fills the room, hostname and model, an unknown one is kept and flagged
    (`asset_known: false`). The category's own fields are answered in `category_fields`;
    its checklist becomes the ticket's tasks. The priority comes from the matrix (staff may
    set it by hand). Guichet never asks for a password. With an `Idempotency-Key`, a retry
    returns the first answer."""
    idempotent = await begin_idempotent(
        session,
        plumbing,
        "ticket",
        idempotency_key,
        data.model_dump(mode="json"),
        owner=caller.subject,
    )
    if idempotent.replay is not None:
        return idempotent.replay
    ticket = await service.open_ticket(session, settings, data, caller)
    created = TicketOut.of(ticket)
    await idempotent.complete_created(session, response, created, ticket.version)
    return created


@router.patch(
    "/tickets/{reference}", response_model=TicketOut, responses=WRITE_RESPONSES, tags=["tickets"]
)
async def update_ticket(
    reference: Text,
    data: TicketPatch,
    response: Response,
    session: SessionDep,
    settings: SettingsDep,
    caller: StaffWrites,
    if_match: IfMatch = None,
) -> TicketOut:
    """Only the fields sent change, each recorded in the history (who, when, old and new
    value). Urgency or impact recompute the priority unless it was set by hand;
    `"priority": null` returns it to the matrix. A closed or cancelled ticket no longer
    changes (409). Needs the ETag read with `If-Match`."""
    ticket = await service.edit_ticket(
        session, settings, reference, data, caller, if_match=if_match
    )
    response.headers["ETag"] = etag_for(ticket.version)
    return TicketOut.of(ticket)


@router.post(
    "/tickets/{reference}/transitions",
    response_model=TicketOut,
    responses={
        403: PROBLEM,
        404: PROBLEM,
        409: PROBLEM,
        422: PROBLEM,
        **PRECONDITION_RESPONSES,
    },
    tags=["lifecycle"],
)
async def transition_ticket(
    reference: Text,
    command: TransitionIn,
    response: Response,
    session: SessionDep,
    settings: SettingsDep,
    caller: TicketWrites,
    if_match: IfMatch = None,
) -> TicketOut:
    """One action, with its own fields:

    - `assign` (`assignee`: a technician's login, `group`: a support group's code; at least
      one, each active): new → assigned; an assigned or planned ticket keeps its status.
    - `plan` (`planned_for` with its offset, `technician` to assign at once): assigned,
      planned → planned; 409 `assignee-required` if nobody is assigned.
    - `pend` (`reason`: user, supplier or part; `comment`): assigned, planned → pending.
    - `resume`: pending → planned if a date is set, assigned otherwise.
    - `solve` (`solution`, `resolution_code`): new, assigned, planned, pending → solved.
    - `close`: solved → closed (the solution is accepted).
    - `reopen` (`reason`): solved → assigned if a technician or group has it, new otherwise;
      the solution is cleared (the history keeps it).
    - `cancel` (`reason`): new, assigned, planned, pending → cancelled.

    The helpdesk may take every action; a requester may close or reopen a solved ticket
    they see, and cancel their own while it is new (403 otherwise). An action the status
    does not allow is 409 `invalid-transition` with `status_now` and the caller's
    `allowed_actions`. Each action is in the history and publishes one event; it moves the
    ticket's SLA clocks (`GET …/sla`). Needs the ticket's ETag with `If-Match`."""
    ticket = await service.transition(
        session, reference, command.root, caller, if_match=if_match, settings=settings
    )
    response.headers["ETag"] = etag_for(ticket.version)
    return TicketOut.of(ticket)
