"""`/api/ticketing/tickets/{reference}/followups`: a ticket's thread. A ticket the caller may
not see is 404 (`deps.Viewer`)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from guichet_common.http import PROBLEM, SessionDep
from guichet_common.idempotency import IdempotencyKey, begin_idempotent
from guichet_common.pagination import Page, PageParams
from guichet_common.text import Text
from ticketing.db import plumbing
from ticketing.deps import TicketReads, TicketWrites
from ticketing.followups import service
from ticketing.followups.schemas import FollowupIn, FollowupOut

router = APIRouter(tags=["followups"])

FOLLOWUPS = "/tickets/{reference}/followups"


@router.post(
    FOLLOWUPS,
    status_code=201,
    response_model=FollowupOut,
    responses={404: PROBLEM, 409: PROBLEM, 422: PROBLEM},
)
async def add_followup(
    reference: Text,
    data: FollowupIn,
    session: SessionDep,
    caller: TicketWrites,
    idempotency_key: IdempotencyKey = None,
) -> Any:
    """A message on the ticket's thread. Public (the default): the requester reads it, it
    is searched with the ticket and announced (`ticketing.ticket.followup_added.v1`), and it
    changes the ticket (`updated_at` and its version: an `If-Match` write holding the ETag
    read before gets 412 and reads the ticket again). Private (`"public": false`, staff
    only: a requester's is 422 on `public`): a note of the helpdesk, which changes neither
    the ticket nor its version and is never announced. A closed or cancelled ticket takes no
    followup (409 `ticket-closed`: reopen it first). With an `Idempotency-Key`, a retry
    returns the first answer."""
    idempotent = await begin_idempotent(
        session,
        plumbing,
        "followup",
        idempotency_key,
        # The ticket is part of the request: one key on two tickets is two bodies (422).
        {"reference": reference.upper(), **data.model_dump(mode="json")},
        owner=caller.subject,
    )
    if idempotent.replay is not None:
        return idempotent.replay
    followup = await service.add_followup(session, reference, data, caller)
    created = FollowupOut.of(followup)
    # A followup is never edited: it has no version, so no ETag.
    await idempotent.complete(session, 201, created.model_dump(mode="json"))
    return created


@router.get(FOLLOWUPS, response_model=Page[FollowupOut], responses={404: PROBLEM})
async def list_followups(
    reference: Text, session: SessionDep, caller: TicketReads, page: PageParams
) -> Page[FollowupOut]:
    """The thread, oldest first; a requester reads the public followups only."""
    followups = await service.thread(session, reference, caller, page)
    return Page.of(followups, FollowupOut.of)
