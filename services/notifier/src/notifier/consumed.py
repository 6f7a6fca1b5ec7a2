"""Consumer-side models of the garage events the rules use (the garage's contract, as far
as this service relies on it). Unknown fields are ignored; a payload missing one of these
is parked instead of producing a broken email."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from pydantic import BaseModel, ConfigDict

from guichet_common.events import Event


class GarageEvent(Event):
    request_number: str
    client_email: str
    client_name: str


class GarageRequestSubmittedV1(GarageEvent):
    event_type = "garage.request.submitted.v1"
    plate: str
    make: str
    model: str
    service_type: str
    urgency: str
    description: str
    submitted_at: datetime
    tracking_url: str


class GarageQuoteIssuedV1(GarageEvent):
    event_type = "garage.quote.issued.v1"
    quote_number: str
    version: int
    # Money is a decimal string on the wire ("1234.56"); Decimal also takes a number.
    total_excl_tax: Decimal
    total_vat: Decimal
    total_incl_tax: Decimal
    valid_until: date
    decision_url: str
    pdf_url: str
    issued_at: datetime


class GarageQuoteAcceptedV1(GarageEvent):
    event_type = "garage.quote.accepted.v1"
    quote_number: str
    version: int
    decided_at: datetime
    signer_name: str
    document_sha256: str


class GarageQuoteRefusedV1(GarageEvent):
    event_type = "garage.quote.refused.v1"
    quote_number: str
    version: int
    decided_at: datetime
    signer_name: str
    document_sha256: str
    reason: str | None = None


class WorkshopSession(BaseModel):
    model_config = ConfigDict(frozen=True, extra="ignore")
    starts_at: datetime
    ends_at: datetime
    bay: str | None = None


class GarageRequestScheduledV1(GarageEvent):
    event_type = "garage.request.scheduled.v1"
    sessions: list[WorkshopSession]
    tracking_url: str


class GarageRequestReadyForPickupV1(GarageEvent):
    event_type = "garage.request.ready_for_pickup.v1"
    plate: str
    tracking_url: str


class GarageDeadlineMissedV1(GarageEvent):
    event_type = "garage.deadline.missed.v1"
    deadline: str
    due_at: datetime


CONSUMED: tuple[type[Event], ...] = (
    GarageRequestSubmittedV1,
    GarageQuoteIssuedV1,
    GarageQuoteAcceptedV1,
    GarageQuoteRefusedV1,
    GarageRequestScheduledV1,
    GarageRequestReadyForPickupV1,
    GarageDeadlineMissedV1,
)
