"""Events ticketing publishes (payload models, frozen; a breaking change is a new major).

One event per lifecycle transition, named for what happened. Each carries what the notifier
and other readers need without calling back: the reference and title, the site's name, the
people concerned with their e-mails, and the French labels of the codes."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from guichet_common.events import Event, EventRegistry
from guichet_common.outbox import Outbox
from ticketing.db import plumbing
from ticketing.settings import SERVICE

published = EventRegistry()
outbox = Outbox(SERVICE, plumbing)


class TicketEvent(Event):
    """What every ticket event says of the ticket as it is after the change."""

    ticket_id: UUID
    reference: str  # INC-2026-000123
    title: str
    type: str  # incident | request
    type_label: str
    status: str
    status_label: str
    priority: int
    priority_label: str
    category_code: str
    category_label: str
    site_code: str
    site_name: str
    room_code: str | None
    asset_tag: str | None
    requester_name: str
    requester_email: str | None
    requester_phone: str | None
    affected_name: str | None
    affected_email: str | None
    assignee: str | None
    assignee_name: str | None
    assignee_email: str | None
    group_code: str | None
    group_name: str | None
    # Who caused it (the token's `sub` and name).
    actor: str
    actor_name: str | None
    version: int


@published.register
class TicketCreatedV1(TicketEvent):
    event_type = "ticketing.ticket.created.v1"
    description: str
    channel: str
    channel_label: str
    urgency: int
    urgency_label: str
    impact: int
    impact_label: str
    created_at: datetime


@published.register
class TicketAssignedV1(TicketEvent):
    event_type = "ticketing.ticket.assigned.v1"


@published.register
class TicketPlannedV1(TicketEvent):
    event_type = "ticketing.ticket.planned.v1"
    planned_for: datetime


@published.register
class TicketPendedV1(TicketEvent):
    event_type = "ticketing.ticket.pended.v1"
    pending_reason: str  # user | supplier | part
    pending_reason_label: str


@published.register
class TicketResumedV1(TicketEvent):
    event_type = "ticketing.ticket.resumed.v1"


@published.register
class TicketSolvedV1(TicketEvent):
    event_type = "ticketing.ticket.solved.v1"
    solution: str
    resolution_code: str
    resolution_label: str
    solved_at: datetime


@published.register
class TicketClosedV1(TicketEvent):
    event_type = "ticketing.ticket.closed.v1"
    closed_at: datetime


@published.register
class TicketReopenedV1(TicketEvent):
    event_type = "ticketing.ticket.reopened.v1"
    reason: str | None


@published.register
class TicketCancelledV1(TicketEvent):
    event_type = "ticketing.ticket.cancelled.v1"
    reason: str | None


@published.register
class TicketFollowupAddedV1(TicketEvent):
    """A public followup only: private notes are the staff's and never leave ticketing."""

    event_type = "ticketing.ticket.followup_added.v1"
    followup_id: UUID
    content: str
    author_name: str | None
    added_at: datetime
