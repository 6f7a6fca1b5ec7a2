"""The garage's events: the consumer models (the garage's contract, as far as the rules
rely on it), the rules, and a sample payload per event type.

Unknown fields are ignored; a payload missing one of these is parked instead of producing
a broken email. The garage sends the French labels of its codes (`service_type_label`,
`urgency_label`, `deadline_label`): the templates print them, so no label table is copied
here."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from pydantic import BaseModel, ConfigDict

from guichet_common.events import Event
from notifier.rules.models import ConfiguredList, PayloadAddress, Rule


class GarageEvent(Event):
    request_number: str
    client_email: str
    client_name: str


class GarageRequestSubmittedV1(GarageEvent):
    event_type = "garage.request.submitted.v1"
    plate: str
    make: str
    model: str
    service_type_label: str
    urgency_label: str
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
    invoice_number: str
    invoice_total_incl_tax: Decimal
    invoice_pdf_url: str  # public (through the tracking link): attached at send time


class GarageQuoteExpiredV1(GarageEvent):
    event_type = "garage.quote.expired.v1"
    quote_number: str
    version: int
    is_supplement: bool
    valid_until: date


class GarageDeadlineMissedV1(GarageEvent):
    event_type = "garage.deadline.missed.v1"
    deadline_label: str
    due_at: datetime


CONSUMED: tuple[type[Event], ...] = (
    GarageRequestSubmittedV1,
    GarageQuoteIssuedV1,
    GarageQuoteAcceptedV1,
    GarageQuoteRefusedV1,
    GarageRequestScheduledV1,
    GarageRequestReadyForPickupV1,
    GarageQuoteExpiredV1,
    GarageDeadlineMissedV1,
)

CLIENT = PayloadAddress("client_email")
TEACHERS = ConfiguredList("garage_teachers")

RULES: tuple[Rule, ...] = (
    Rule("garage.request.submitted.v1", "garage_request_submitted", CLIENT),
    Rule("garage.request.submitted.v1", "garage_request_submitted_teachers", TEACHERS),
    Rule("garage.quote.issued.v1", "garage_quote_issued", CLIENT, attach_pdf_from="pdf_url"),
    Rule("garage.quote.accepted.v1", "garage_quote_accepted_client", CLIENT),
    Rule("garage.quote.accepted.v1", "garage_quote_accepted_teachers", TEACHERS),
    Rule("garage.quote.refused.v1", "garage_quote_refused_client", CLIENT),
    Rule("garage.quote.refused.v1", "garage_quote_refused_teachers", TEACHERS),
    Rule("garage.request.scheduled.v1", "garage_request_scheduled", CLIENT),
    Rule(
        "garage.request.ready_for_pickup.v1",
        "garage_request_ready_for_pickup",
        CLIENT,
        attach_pdf_from="invoice_pdf_url",
    ),
    Rule("garage.quote.expired.v1", "garage_quote_expired_teachers", TEACHERS),
    Rule("garage.deadline.missed.v1", "garage_deadline_missed", TEACHERS),
)

_CLIENT = {
    "request_number": "DEM-2026-0021",
    "client_email": "camille.martin@example.org",
    "client_name": "Camille Martin",
}
_TRACKING = "http://127.0.0.1:8000/garage/suivi/exemple-jeton"

# One sample payload per event type a rule handles, shaped like the garage's contract.
SAMPLES: dict[str, dict[str, Any]] = {
    "garage.request.submitted.v1": {
        **_CLIENT,
        "plate": "AB-123-CD",
        "make": "Renault",
        "model": "Clio",
        "service_type": "brakes",
        "service_type_label": "Freins",
        "urgency": "medium",
        "urgency_label": "Moyenne",
        "description": "Bruit au freinage à l'avant.",
        "submitted_at": "2026-11-23T09:30:00+01:00",
        "tracking_url": _TRACKING,
    },
    "garage.quote.issued.v1": {
        **_CLIENT,
        "quote_number": "DEV-2026-0017",
        "version": 1,
        "total_excl_tax": "1028.80",
        "total_vat": "205.76",
        "total_incl_tax": "1234.56",
        "valid_until": "2026-12-23",
        "decision_url": "http://127.0.0.1:8000/garage/devis/exemple-jeton",
        "pdf_url": "http://127.0.0.1:8000/garage/devis/exemple-jeton.pdf",
        "issued_at": "2026-11-23T10:00:00+01:00",
    },
    "garage.quote.accepted.v1": {
        **_CLIENT,
        "quote_number": "DEV-2026-0017",
        "version": 1,
        "decided_at": "2026-11-24T18:12:00+01:00",
        "signer_name": "Camille Martin",
        "document_sha256": "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08",
    },
    "garage.quote.refused.v1": {
        **_CLIENT,
        "quote_number": "DEV-2026-0017",
        "version": 1,
        "decided_at": "2026-11-24T18:12:00+01:00",
        "signer_name": "Camille Martin",
        "document_sha256": "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08",
        "reason": "Trop cher pour moi.",
    },
    "garage.request.scheduled.v1": {
        **_CLIENT,
        "sessions": [
            {
                "starts_at": "2026-11-30T08:00:00+01:00",
                "ends_at": "2026-11-30T12:00:00+01:00",
                "bay": "Pont 2",
            },
            {
                "starts_at": "2026-12-01T14:00:00+01:00",
                "ends_at": "2026-12-01T17:00:00+01:00",
                "bay": None,
            },
        ],
        "tracking_url": _TRACKING,
    },
    "garage.request.ready_for_pickup.v1": {
        **_CLIENT,
        "plate": "AB-123-CD",
        "tracking_url": _TRACKING,
        "invoice_number": "FAC-2026-0042",
        "invoice_total_incl_tax": "130.80",
        "invoice_pdf_url": f"{_TRACKING}/facture.pdf",
    },
    "garage.quote.expired.v1": {
        **_CLIENT,
        "quote_number": "DEV-2026-0017",
        "version": 2,
        "is_supplement": False,
        "valid_until": "2026-12-23",
    },
    "garage.deadline.missed.v1": {
        **_CLIENT,
        "deadline": "quote",
        "deadline_label": "envoi du devis",
        "due_at": "2026-11-25T09:30:00+01:00",
    },
}
