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


class InterventionEvent(Event):
    """What every intervention event says: the intervention, its ticket (as the sheet
    froze it), who does it and who caused the event."""

    intervention_id: UUID
    ticket_id: UUID
    reference: str
    title: str
    mode: str  # on_site | remote
    mode_label: str
    site_code: str
    site_name: str
    room_code: str | None
    technician: str
    technician_name: str
    technician_email: str
    actor: str
    actor_name: str | None
    version: int


@published.register
class InterventionPlannedV1(InterventionEvent):
    """An on-site visit planned, or moved (to another time or technician): one event for
    both, since the technician gets the sheet either way. `moved_from` is the time it had
    before (null the first time). `sheet_url` fetches the sheet's PDF without a login until
    `sheet_url_expires_at`."""

    event_type = "ticketing.intervention.planned.v1"
    planned_for: datetime
    planned_until: datetime
    moved_from: datetime | None
    previous_technician: str | None
    description: str
    category_label: str
    asset_tag: str | None
    model: str | None
    hostname: str | None
    hardware_need: str | None
    requester_name: str
    requester_phone: str | None
    affected_name: str | None
    affected_phone: str | None
    notified_at: datetime
    sheet_url: str
    sheet_url_expires_at: datetime


@published.register
class InterventionSignedV1(InterventionEvent):
    event_type = "ticketing.intervention.signed.v1"
    signer_name: str
    signed_at: datetime
    sheet_sha256: str  # of the stored PDF's bytes


@published.register
class InterventionRemoteSessionRecordedV1(InterventionEvent):
    event_type = "ticketing.intervention.remote_session_recorded.v1"
    consent_given_by: str
    consent_given_at: datetime
    consent_how: str  # phone | email | in_person | chat
    consent_how_label: str
    session_id: str
    started_at: datetime
    ended_at: datetime
    clean_close: bool
    user_confirmed_working: bool


class TicketSlaEvent(TicketEvent):
    """A clock of the ticket reached a threshold of its target (`actor`: guichet-sla)."""

    clock: str  # tto | ttr
    clock_label: str  # "Délai de prise en charge", "Délai de résolution"
    deadline: datetime
    target_minutes: int  # business minutes
    # Business minutes spent when the threshold was reached (75 % or 100 % of the target,
    # more when a new target found the clock already past it).
    elapsed_minutes: int


@published.register
class TicketSlaWarnedV1(TicketSlaEvent):
    """75 % of the target spent; once per deadline."""

    event_type = "ticketing.ticket.sla_warned.v1"


@published.register
class TicketSlaBreachedV1(TicketSlaEvent):
    """The deadline passed; once per deadline."""

    event_type = "ticketing.ticket.sla_breached.v1"
