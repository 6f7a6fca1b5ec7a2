"""Workshop sessions (teaching timetable slots with bays) and the requests booked into them."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, func
from sqlalchemy.orm import Mapped, mapped_column

from garage.db import Base


class WorkshopSession(Base):
    __tablename__ = "workshop_session"
    __table_args__ = (
        CheckConstraint("ends_at > starts_at", name="ends_after_start"),
        CheckConstraint("bays > 0", name="bays_positive"),
        Index("ix_workshop_session_starts", "starts_at"),
    )

    id: Mapped[UUID] = mapped_column(primary_key=True)
    starts_at: Mapped[datetime]
    ends_at: Mapped[datetime]
    bays: Mapped[int]
    teacher: Mapped[str] = mapped_column(String(100))
    student_group: Mapped[str] = mapped_column(String(60))
    created_at: Mapped[datetime] = mapped_column(server_default=func.now())

    __mapper_args__ = {"eager_defaults": True}


class SessionBooking(Base):
    __tablename__ = "session_booking"

    session_id: Mapped[UUID] = mapped_column(
        ForeignKey("workshop_session.id", ondelete="CASCADE"), primary_key=True
    )
    request_id: Mapped[UUID] = mapped_column(
        ForeignKey("garage_request.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    booked_at: Mapped[datetime] = mapped_column(server_default=func.now())
