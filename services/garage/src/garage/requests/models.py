"""Garage requests (`DEM-YYYY-NNNN`) and their history."""

from __future__ import annotations

from enum import StrEnum

from sqlalchemy import (
    BigInteger,
    Column,
    DateTime,
    ForeignKey,
    Identity,
    Index,
    Integer,
    String,
    Table,
    Text,
    func,
    text,
)
from sqlalchemy.dialects.postgresql import ARRAY, UUID

from garage.db import metadata


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


garage_request = Table(
    "garage_request",
    metadata,
    Column("id", UUID(as_uuid=True), primary_key=True),
    Column("number", String(16), nullable=False, unique=True),
    Column("status", String(20), nullable=False),
    Column("version", Integer, nullable=False, server_default=text("1")),
    Column("last_name", String(100), nullable=False),
    Column("first_name", String(100), nullable=False),
    Column("email", String(254), nullable=False),
    Column("phone", String(20), nullable=False),
    Column("plate", String(12), nullable=False),
    Column("make", String(60), nullable=False),
    Column("model", String(60), nullable=False),
    Column("vin", String(17)),
    Column("mileage_km", Integer, nullable=False),
    Column("service_type", String(20), nullable=False),
    Column("description", Text, nullable=False),
    Column("urgency", String(10), nullable=False),
    Column("consent_at", DateTime(timezone=True), nullable=False),
    Column("tracking_token", String(64), nullable=False, unique=True),
    Column("teachers", ARRAY(String(100)), nullable=False, server_default=text("'{}'")),
    Column("student_group", String(60)),
    Column("work_done", Text),
    Column("submitted_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Column("quote_due_at", DateTime(timezone=True), nullable=False),
    Column("diagnosis_due_at", DateTime(timezone=True), nullable=False),
    Column("quote_deadline_missed_at", DateTime(timezone=True)),
    Column("diagnosis_deadline_missed_at", DateTime(timezone=True)),
    Column("triaged_at", DateTime(timezone=True)),
    Column("quoted_at", DateTime(timezone=True)),
    Column("handed_back_at", DateTime(timezone=True)),
    Column("updated_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Column("anonymised_at", DateTime(timezone=True)),  # personal data erased (retention)
    Index("ix_garage_request_status_submitted", "status", "submitted_at", "id"),
    Index("ix_garage_request_submitted", "submitted_at", "id"),
    Index(
        "ix_garage_request_not_anonymised",
        "updated_at",
        postgresql_where=text("anonymised_at IS NULL"),
    ),
)

request_history = Table(
    "request_history",
    metadata,
    Column("id", BigInteger, Identity(always=True), primary_key=True),
    Column(
        "request_id",
        UUID(as_uuid=True),
        # Deferred: a submission writes these before the request row, which takes the
        # number last so the counter's row lock is held as briefly as possible.
        ForeignKey("garage_request.id", ondelete="CASCADE", deferrable=True, initially="DEFERRED"),
        nullable=False,
        index=True,
    ),
    Column("action", String(30), nullable=False),
    Column("from_status", String(20)),
    Column("to_status", String(20), nullable=False),
    Column("actor", String(200), nullable=False),
    Column("note", Text),
    Column("at", DateTime(timezone=True), nullable=False, server_default=func.now()),
)
