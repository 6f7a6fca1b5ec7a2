"""Events garage publishes (payload models, frozen; a breaking change is a new major).

Each carries what the notifier needs to write to the client without asking us: the
request number (also the envelope subject, for threading), the client's name and email,
and the French labels of the codes it carries.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from uuid import UUID

from pydantic import BaseModel, ConfigDict

from garage.db import plumbing
from garage.settings import SERVICE
from guichet_common.events import Event, EventRegistry
from guichet_common.outbox import Outbox

published = EventRegistry()
outbox = Outbox(SERVICE, plumbing)


class RequestEvent(Event):
    """Fields every request event carries."""

    request_id: UUID
    request_number: str
    client_email: str
    client_name: str
    subject: str  # e-mail subject line; the notifier threads on `request_number`
    tracking_url: str


@published.register
class RequestSubmittedV1(RequestEvent):
    event_type = "garage.request.submitted.v1"
    service_type: str
    service_type_label: str  # French, as the client chose it: "Freins"
    urgency: str
    urgency_label: str  # "Basse", "Moyenne", "Haute"
    plate: str
    make: str
    model: str
    description: str
    submitted_at: datetime


@published.register
class RequestStatusChangedV1(RequestEvent):
    event_type = "garage.request.status_changed.v1"
    action: str
    from_status: str
    to_status: str
    status_label: str  # French label shown to the client


class ScheduledSession(BaseModel):
    model_config = ConfigDict(frozen=True)

    starts_at: datetime
    ends_at: datetime
    bay: str | None = None  # bays are counted per session, not named


@published.register
class RequestScheduledV1(RequestEvent):
    event_type = "garage.request.scheduled.v1"
    sessions: list[ScheduledSession]
    teachers: list[str]
    student_group: str | None


@published.register
class RequestReadyForPickupV1(RequestEvent):
    """The work is done (`finish`): the client may come for the car, and its invoice is
    issued."""

    event_type = "garage.request.ready_for_pickup.v1"
    plate: str
    invoice_number: str  # FAC-YYYY-NNNN
    invoice_total_incl_tax: Decimal
    invoice_pdf_url: str  # public, through the tracking link (it dies with it)


@published.register
class DeadlineMissedV1(RequestEvent):
    event_type = "garage.deadline.missed.v1"
    deadline: str  # quote | diagnosis
    deadline_label: str  # "envoi du devis", "diagnostic"
    due_at: datetime


class QuoteEvent(RequestEvent):
    quote_id: UUID
    quote_number: str
    version: int
    is_supplement: bool


@published.register
class QuoteIssuedV1(QuoteEvent):
    event_type = "garage.quote.issued.v1"
    total_excl_tax: Decimal
    total_vat: Decimal
    total_incl_tax: Decimal
    issued_at: datetime
    valid_until: date
    decision_url: str  # signed, expiring, single-use
    pdf_url: str  # the same signed link, PDF form
    document_sha256: str


@published.register
class QuoteAcceptedV1(QuoteEvent):
    event_type = "garage.quote.accepted.v1"
    signer_name: str
    decided_at: datetime
    document_sha256: str


@published.register
class QuoteRefusedV1(QuoteEvent):
    event_type = "garage.quote.refused.v1"
    signer_name: str
    decided_at: datetime
    document_sha256: str


@published.register
class QuoteExpiredV1(QuoteEvent):
    event_type = "garage.quote.expired.v1"
    valid_until: date
