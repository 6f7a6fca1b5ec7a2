"""Garage requests (`DEM-YYYY-NNNN`) and their history."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum
from uuid import UUID

from sqlalchemy import (
    ARRAY,
    BigInteger,
    ForeignKey,
    Identity,
    Index,
    String,
    Text,
    func,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column

from garage.db import Base
from guichet_common.db import EnumText


class RequestStatus(StrEnum):
    SUBMITTED = "submitted"
    TRIAGED = "triaged"
    QUOTED = "quoted"
    ACCEPTED = "accepted"
    REFUSED = "refused"
    EXPIRED = "expired"
    SCHEDULED = "scheduled"
    IN_PROGRESS = "in_progress"
    DONE = "done"
    HANDED_BACK = "handed_back"
    ARCHIVED = "archived"
    CANCELLED = "cancelled"


# Where a request ends: the client's personal data is erased some time after.
CLOSED_STATUSES = frozenset(
    {
        RequestStatus.HANDED_BACK,
        RequestStatus.ARCHIVED,
        RequestStatus.REFUSED,
        RequestStatus.EXPIRED,
        RequestStatus.CANCELLED,
    }
)


class ServiceType(StrEnum):
    DIAGNOSTIC = "diagnostic"
    OIL_CHANGE = "oil_change"
    TYRES = "tyres"
    AIR_CONDITIONING = "air_conditioning"
    ALIGNMENT = "alignment"
    BRAKES = "brakes"
    MAINTENANCE = "maintenance"


class Urgency(StrEnum):
    LOW = "low"
    MEDIUM = "medium"
    HIGH = "high"


class GarageRequest(Base):
    __tablename__ = "garage_request"
    __table_args__ = (
        Index("ix_garage_request_status_submitted", "status", "submitted_at", "id"),
        Index("ix_garage_request_submitted", "submitted_at", "id"),
        Index(
            "ix_garage_request_quote_pending",
            "quote_due_at",
            postgresql_where=text("quoted_at IS NULL AND quote_deadline_missed_at IS NULL"),
        ),
        Index(
            "ix_garage_request_diagnosis_pending",
            "diagnosis_due_at",
            postgresql_where=text(
                "diagnosis_due_at IS NOT NULL AND diagnosed_at IS NULL "
                "AND diagnosis_deadline_missed_at IS NULL"
            ),
        ),
        Index(
            "ix_garage_request_not_anonymised",
            "updated_at",
            postgresql_where=text("anonymised_at IS NULL"),
        ),
    )

    id: Mapped[UUID] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(String(16), unique=True)
    status: Mapped[RequestStatus] = mapped_column(EnumText(RequestStatus, 20))
    # The ETag: every UPDATE checks and bumps it (SQLAlchemy's version counter).
    version: Mapped[int] = mapped_column(server_default=text("1"))
    last_name: Mapped[str] = mapped_column(String(100))
    first_name: Mapped[str] = mapped_column(String(100))
    email: Mapped[str] = mapped_column(String(254))
    phone: Mapped[str] = mapped_column(String(20))
    plate: Mapped[str] = mapped_column(String(12))
    make: Mapped[str] = mapped_column(String(60))
    model: Mapped[str] = mapped_column(String(60))
    vin: Mapped[str | None] = mapped_column(String(17))
    mileage_km: Mapped[int]  # as the client declared it on the form
    # The SIV's WW series: a provisional registration (a car bought abroad, say).
    provisional_plate: Mapped[bool] = mapped_column(server_default=text("false"), default=False)
    service_type: Mapped[ServiceType] = mapped_column(EnumText(ServiceType, 20))
    description: Mapped[str] = mapped_column(Text)
    urgency: Mapped[Urgency] = mapped_column(EnumText(Urgency, 10))
    consent_at: Mapped[datetime]
    tracking_token: Mapped[str] = mapped_column(String(64), unique=True)
    teachers: Mapped[list[str]] = mapped_column(
        ARRAY(String(100)), server_default=text("'{}'"), default=list
    )
    student_group: Mapped[str | None] = mapped_column(String(60))
    work_done: Mapped[str | None] = mapped_column(Text)
    final_mileage_km: Mapped[int | None]  # read on the odometer when the work is finished
    dropped_off_on: Mapped[date | None]  # the "date de dépôt": the car is at the garage
    diagnosis: Mapped[str | None] = mapped_column(Text)
    submitted_at: Mapped[datetime] = mapped_column(server_default=func.now())
    # Deadlines (`garage.workdays`): the quote is due from submission, the diagnosis from
    # the drop-off (none before); each is met by `quoted_at` / `diagnosed_at`.
    quote_due_at: Mapped[datetime]
    diagnosis_due_at: Mapped[datetime | None]
    quote_deadline_missed_at: Mapped[datetime | None]
    diagnosis_deadline_missed_at: Mapped[datetime | None]
    triaged_at: Mapped[datetime | None]
    quoted_at: Mapped[datetime | None]
    diagnosed_at: Mapped[datetime | None]
    handed_back_at: Mapped[datetime | None]
    updated_at: Mapped[datetime] = mapped_column(server_default=func.now(), onupdate=func.now())
    anonymised_at: Mapped[datetime | None]  # personal data erased (retention)

    __mapper_args__ = {"version_id_col": version, "eager_defaults": True}


class RequestHistory(Base):
    __tablename__ = "request_history"

    id: Mapped[int] = mapped_column(BigInteger, Identity(always=True), primary_key=True)
    request_id: Mapped[UUID] = mapped_column(
        # Deferred: checked at commit, so a request and the rows about it are written in
        # whatever order its transaction finds simplest.
        ForeignKey("garage_request.id", ondelete="CASCADE", deferrable=True, initially="DEFERRED"),
        index=True,
    )
    action: Mapped[str] = mapped_column(String(30))
    from_status: Mapped[RequestStatus | None] = mapped_column(EnumText(RequestStatus, 20))
    to_status: Mapped[RequestStatus] = mapped_column(EnumText(RequestStatus, 20))
    actor: Mapped[str] = mapped_column(String(200))
    note: Mapped[str | None] = mapped_column(Text)
    at: Mapped[datetime] = mapped_column(server_default=func.now())

    __mapper_args__ = {"eager_defaults": True}
