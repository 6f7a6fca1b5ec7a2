"""The rules of a ticket's thread: who may post what, and what a public followup changes.

A public followup is part of the ticket as its requester sees it: it changes the ticket
(`updated_at`, and so its version, as GLPI's `date_mod`), is appended to its full-text
document and announced (`TicketFollowupAddedV1`). A private one is a note of the helpdesk:
it leaves the ticket, its version and the search alone, and is never announced; both are
in the ticket's history."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from sqlalchemy.ext.asyncio import AsyncSession

from guichet_common.auth import Principal
from guichet_common.events import new_event_id, utcnow
from guichet_common.http import Conflict, InvalidInput
from guichet_common.pagination import Paged, PageRequest
from ticketing.deps import Viewer
from ticketing.events import TicketFollowupAddedV1, outbox
from ticketing.followups import repository
from ticketing.followups.models import Followup
from ticketing.followups.schemas import FollowupIn
from ticketing.tickets import repository as tickets
from ticketing.tickets.models import STATUS_LABELS, Status, Ticket
from ticketing.tickets.service import event_fields

# GLPI: a closed ticket takes nothing more; it is reopened first.
FINISHED = frozenset({Status.CLOSED, Status.CANCELLED})


class TicketFinished(Conflict):
    slug, title = "ticket-closed", "The ticket is closed or cancelled"


def check_open(ticket: Ticket) -> None:
    """A closed or cancelled ticket takes no followup nor attachment (409): reopen it."""
    if ticket.status in FINISHED:
        raise TicketFinished(
            f"{ticket.reference} is {STATUS_LABELS[ticket.status]}: reopen it first",
            ticket_status=ticket.status.value,
        )


async def add_followup(
    session: AsyncSession,
    reference: str,
    data: FollowupIn,
    principal: Principal,
    *,
    now: datetime | None = None,
) -> Followup:
    viewer = Viewer.of(principal)
    # A public followup updates the ticket's row (its version checked): locked from the
    # start so that two followups posted at once both land.
    ticket = await tickets.get_visible(session, reference, viewer, for_update=data.public)
    if not data.public and not viewer.staff:
        raise InvalidInput(
            "a requester's followups are public: private notes are the helpdesk's",
            field="public",
        )
    check_open(ticket)
    now = now or utcnow()
    followup = Followup(
        id=new_event_id(),
        ticket_id=ticket.id,
        public=data.public,
        content=data.content,
        author=principal.subject,
        author_name=principal.name,
        created_at=now,
    )
    session.add(followup)
    if data.public:
        repository.append_to_search(ticket, data.content)
        ticket.updated_at = now
    tickets.record_change(
        session,
        ticket,
        actor=principal.subject,
        actor_name=principal.name,
        action="followup_added",
        changes={"followup": [None, str(followup.id)], "public": [None, data.public]},
    )
    await tickets.save(session)
    if data.public:
        await outbox.publish(
            session,
            TicketFollowupAddedV1(
                **event_fields(ticket, principal),
                followup_id=followup.id,
                content=followup.content,
                author_name=followup.author_name,
                added_at=followup.created_at,
            ),
            subject=ticket.reference,
        )
    return followup


async def thread(
    session: AsyncSession, reference: str, principal: Principal, page: PageRequest
) -> Paged[Followup]:
    """The ticket's followups, oldest first; a requester reads the public ones only."""
    viewer = Viewer.of(principal)
    ticket = await tickets.get_visible(session, reference, viewer)
    return await repository.thread(session, ticket, page, public_only=not viewer.staff)


async def followup_of(
    session: AsyncSession, ticket: Ticket, followup_id: UUID, viewer: Viewer
) -> Followup | None:
    """A followup of `ticket` the viewer may read (a requester: a public one), or None."""
    return await repository.find(session, ticket, followup_id, public_only=not viewer.staff)
