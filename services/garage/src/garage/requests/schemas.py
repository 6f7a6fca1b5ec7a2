"""What the public form and the staff API accept and return."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, Literal
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field, field_validator

from garage.normalisation import normalise_email, normalise_phone, normalise_plate, normalise_vin
from garage.requests.models import (
    GarageRequest,
    RequestHistory,
    RequestStatus,
    ServiceType,
    Urgency,
)
from guichet_common.text import Text

STATUS_LABELS: dict[RequestStatus, str] = {
    # The sheet's four statuses label the finer states.
    RequestStatus.SUBMITTED: "non traité",
    RequestStatus.TRIAGED: "en attente",
    RequestStatus.QUOTED: "en attente — devis envoyé",
    RequestStatus.ACCEPTED: "en attente — devis accepté",
    RequestStatus.REFUSED: "terminée — devis refusé",
    RequestStatus.EXPIRED: "terminée — devis expiré",
    RequestStatus.SCHEDULED: "en attente — planifiée",
    RequestStatus.IN_PROGRESS: "en cours",
    RequestStatus.DONE: "terminée — véhicule prêt",
    RequestStatus.HANDED_BACK: "terminée — véhicule rendu",
    RequestStatus.ARCHIVED: "terminée — archivée",
    RequestStatus.CANCELLED: "terminée — annulée",
}

SERVICE_LABELS: dict[ServiceType, str] = {
    ServiceType.DIAGNOSTIC: "Diagnostic",
    ServiceType.OIL_CHANGE: "Vidange",
    ServiceType.TYRES: "Pneus",
    ServiceType.AIR_CONDITIONING: "Climatisation",
    ServiceType.ALIGNMENT: "Géométrie",
    ServiceType.BRAKES: "Freins",
    ServiceType.MAINTENANCE: "Entretien",
}

URGENCY_LABELS: dict[Urgency, str] = {
    Urgency.LOW: "Basse",
    Urgency.MEDIUM: "Moyenne",
    Urgency.HIGH: "Haute",
}

DEADLINE_LABELS: dict[str, str] = {"quote": "envoi du devis", "diagnosis": "diagnostic"}


# A filled-in form: the contract's example, and what tests and the benchmark send.
SUBMISSION_EXAMPLE: dict[str, Any] = {
    "last_name": "Martin",
    "first_name": "Claire",
    "email": "claire.martin@example.org",
    "phone": "06 12 34 56 78",
    "plate": "ab-123-cd",
    "make": "Renault",
    "model": "Clio",
    "vin": "VF1RJA00012345678",
    "mileage_km": 84500,
    "service_type": "brakes",
    "description": "Bruit de frottement au freinage.",
    "urgency": "medium",
    "consent": True,
}


class RequestSubmission(BaseModel):
    """The public form. Bad input names the field; nothing is stored."""

    model_config = ConfigDict(
        str_strip_whitespace=True,
        extra="forbid",
        json_schema_extra={"examples": [SUBMISSION_EXAMPLE]},
    )

    last_name: Text = Field(min_length=1, max_length=100)
    first_name: Text = Field(min_length=1, max_length=100)
    email: Text = Field(max_length=254, json_schema_extra={"format": "email"})
    phone: Text = Field(min_length=1, max_length=30)
    plate: Text = Field(min_length=1, max_length=20)
    make: Text = Field(min_length=1, max_length=60)
    model: Text = Field(min_length=1, max_length=60)
    vin: Text | None = Field(default=None, max_length=25)
    mileage_km: int = Field(ge=0, le=2_000_000)
    service_type: ServiceType
    description: Text = Field(min_length=1, max_length=4000)
    urgency: Urgency = Urgency.MEDIUM
    consent: bool

    @field_validator("plate")
    @classmethod
    def _plate(cls, value: str) -> str:
        return normalise_plate(value)

    @field_validator("vin")
    @classmethod
    def _vin(cls, value: str | None) -> str | None:
        return normalise_vin(value) if value else None

    @field_validator("email")
    @classmethod
    def _email(cls, value: str) -> str:
        return normalise_email(value)

    @field_validator("phone")
    @classmethod
    def _phone(cls, value: str) -> str:
        return normalise_phone(value)

    @field_validator("consent")
    @classmethod
    def _consent(cls, value: bool) -> bool:
        if not value:
            raise ValueError("le consentement au traitement des données est requis")
        return value


class SubmittedRequest(BaseModel):
    number: str
    status: RequestStatus
    tracking_url: str


class HistoryEntry(BaseModel):
    action: str
    from_status: RequestStatus | None
    to_status: RequestStatus
    actor: str
    note: str | None
    at: datetime

    @classmethod
    def of(cls, entry: RequestHistory) -> HistoryEntry:
        return cls.model_validate(entry, from_attributes=True)


class RequestSummary(BaseModel):
    id: UUID
    number: str
    status: RequestStatus
    status_label: str
    last_name: str
    first_name: str
    plate: str
    provisional_plate: bool  # the SIV's WW series
    service_type: ServiceType
    urgency: Urgency
    submitted_at: datetime
    quote_due_at: datetime
    quote_deadline_missed: bool
    diagnosis_deadline_missed: bool
    teachers: list[str]
    student_group: str | None

    @classmethod
    def of(cls, request: GarageRequest) -> RequestSummary:
        return cls.model_validate(_summary_fields(request))


def _summary_fields(request: GarageRequest) -> dict[str, Any]:
    return {
        "id": request.id,
        "number": request.number,
        "status": request.status,
        "status_label": STATUS_LABELS[request.status],
        "last_name": request.last_name,
        "first_name": request.first_name,
        "plate": request.plate,
        "provisional_plate": request.provisional_plate,
        "service_type": request.service_type,
        "urgency": request.urgency,
        "submitted_at": request.submitted_at,
        "quote_due_at": request.quote_due_at,
        "quote_deadline_missed": request.quote_deadline_missed_at is not None,
        "diagnosis_deadline_missed": request.diagnosis_deadline_missed_at is not None,
        "teachers": list(request.teachers),
        "student_group": request.student_group,
    }


class RequestDetail(RequestSummary):
    email: str
    phone: str
    make: str
    model: str
    vin: str | None
    mileage_km: int  # as declared by the client
    final_mileage_km: int | None  # read when the work was finished
    description: str
    dropped_off_on: date | None
    diagnosis_due_at: datetime | None  # set by the drop-off
    diagnosis: str | None
    diagnosed_at: datetime | None
    work_done: str | None
    tracking_url: str
    # Set once the client's personal data was erased (`personal_data_retention_days`
    # after closing); the fields above are then empty and the tracking link is dead.
    anonymised_at: datetime | None
    history: list[HistoryEntry]

    @classmethod
    def build(
        cls, request: GarageRequest, history: list[RequestHistory], tracking_url: str
    ) -> RequestDetail:
        return cls.model_validate(
            {
                **_summary_fields(request),
                "email": request.email,
                "phone": request.phone,
                "make": request.make,
                "model": request.model,
                "vin": request.vin,
                "mileage_km": request.mileage_km,
                "final_mileage_km": request.final_mileage_km,
                "description": request.description,
                "dropped_off_on": request.dropped_off_on,
                "diagnosis_due_at": request.diagnosis_due_at,
                "diagnosis": request.diagnosis,
                "diagnosed_at": request.diagnosed_at,
                "work_done": request.work_done,
                "tracking_url": tracking_url,
                "anonymised_at": request.anonymised_at,
                "history": [HistoryEntry.of(entry) for entry in history],
            }
        )


class Assignment(BaseModel):
    model_config = ConfigDict(extra="forbid")

    teachers: list[Text] = Field(max_length=5)
    student_group: Text | None = Field(default=None, max_length=60)


Action = Literal[
    "triage",
    "drop_off",
    "diagnose",
    "schedule",
    "start",
    "finish",
    "hand_back",
    "archive",
    "cancel",
]


class TransitionRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    action: Action
    session_ids: list[UUID] = Field(default_factory=list, max_length=20)  # schedule
    dropped_off_on: date | None = None  # drop_off (default: today, garage time)
    diagnosis: Text | None = Field(default=None, min_length=1, max_length=8000)  # diagnose
    work_done: Text | None = Field(default=None, max_length=8000)  # finish
    mileage_km: int | None = Field(default=None, ge=0, le=2_000_000)  # finish: odometer
    note: Text | None = Field(default=None, max_length=2000)


class RequestStats(BaseModel):
    requests_per_type: dict[str, int]
    requests_per_status: dict[str, int]
    mean_hours_to_quote: float | None
    mean_hours_to_hand_back: float | None
