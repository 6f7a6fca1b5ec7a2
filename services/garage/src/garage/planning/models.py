"""Workshop sessions (teaching timetable slots with bays) and the requests booked into them."""

from __future__ import annotations

from sqlalchemy import (
    CheckConstraint,
    Column,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    PrimaryKeyConstraint,
    String,
    Table,
    func,
)
from sqlalchemy.dialects.postgresql import UUID

from garage.db import metadata

workshop_session = Table(
    "workshop_session",
    metadata,
    Column("id", UUID(as_uuid=True), primary_key=True),
    Column("starts_at", DateTime(timezone=True), nullable=False),
    Column("ends_at", DateTime(timezone=True), nullable=False),
    Column("bays", Integer, nullable=False),
    Column("teacher", String(100), nullable=False),
    Column("student_group", String(60), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    CheckConstraint("ends_at > starts_at", name="ends_after_start"),
    CheckConstraint("bays > 0", name="bays_positive"),
    Index("ix_workshop_session_starts", "starts_at"),
)

session_booking = Table(
    "session_booking",
    metadata,
    Column(
        "session_id",
        UUID(as_uuid=True),
        ForeignKey("workshop_session.id", ondelete="CASCADE"),
        nullable=False,
    ),
    Column(
        "request_id",
        UUID(as_uuid=True),
        ForeignKey("garage_request.id", ondelete="CASCADE"),
        nullable=False,
        index=True,
    ),
    Column("booked_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    PrimaryKeyConstraint("session_id", "request_id"),
)
