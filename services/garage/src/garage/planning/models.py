"""The weekly teaching timetable, the workshop sessions (generated from it or created one
by one) and the requests booked into them."""

from __future__ import annotations

from datetime import date, datetime, time
from uuid import UUID

from sqlalchemy import (
    CheckConstraint,
    ForeignKey,
    Index,
    SmallInteger,
    String,
    UniqueConstraint,
    func,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column

from garage.db import Base


class TimetableSlot(Base):
    """A weekly slot: every `weekday` (0 = Monday … 4 = Friday) from `start_time` to
    `end_time`, local wall-clock times of the garage's time zone, within its validity."""

    __tablename__ = "timetable_slot"
    __table_args__ = (
        CheckConstraint("weekday BETWEEN 0 AND 4", name="weekday_mon_fri"),
        CheckConstraint("end_time > start_time", name="ends_after_start"),
        CheckConstraint("bays > 0", name="bays_positive"),
        CheckConstraint(
            "valid_from IS NULL OR valid_until IS NULL OR valid_until >= valid_from",
            name="validity_ordered",
        ),
    )

    id: Mapped[UUID] = mapped_column(primary_key=True)
    weekday: Mapped[int] = mapped_column(SmallInteger)
    start_time: Mapped[time]
    end_time: Mapped[time]
    student_group: Mapped[str] = mapped_column(String(60))
    teacher: Mapped[str] = mapped_column(String(100))
    bays: Mapped[int]
    valid_from: Mapped[date | None]
    valid_until: Mapped[date | None]
    # The ETag: every UPDATE checks and bumps it (SQLAlchemy's version counter).
    version: Mapped[int] = mapped_column(server_default=text("1"))
    created_at: Mapped[datetime] = mapped_column(server_default=func.now())

    __mapper_args__ = {"version_id_col": version, "eager_defaults": True}


class WorkshopSession(Base):
    __tablename__ = "workshop_session"
    __table_args__ = (
        CheckConstraint("ends_at > starts_at", name="ends_after_start"),
        CheckConstraint("bays > 0", name="bays_positive"),
        Index("ix_workshop_session_starts", "starts_at"),
        # One session per slot and date: generating the timetable again creates nothing.
        UniqueConstraint("slot_id", "slot_date"),
    )

    id: Mapped[UUID] = mapped_column(primary_key=True)
    starts_at: Mapped[datetime]
    ends_at: Mapped[datetime]
    bays: Mapped[int]
    teacher: Mapped[str] = mapped_column(String(100))
    student_group: Mapped[str] = mapped_column(String(60))
    # The slot and date it was generated from (None for a session created by hand); kept
    # when the session is edited, so generating again leaves it alone.
    slot_id: Mapped[UUID | None] = mapped_column(
        ForeignKey("timetable_slot.id", ondelete="SET NULL")
    )
    slot_date: Mapped[date | None]
    # A generated session deleted by a teacher stays as this mark, so that generating
    # again does not bring it back; every list hides it.
    cancelled_at: Mapped[datetime | None]
    # The ETag: every UPDATE checks and bumps it (SQLAlchemy's version counter).
    version: Mapped[int] = mapped_column(server_default=text("1"))
    created_at: Mapped[datetime] = mapped_column(server_default=func.now())

    __mapper_args__ = {"version_id_col": version, "eager_defaults": True}


class SessionBooking(Base):
    __tablename__ = "session_booking"

    session_id: Mapped[UUID] = mapped_column(
        ForeignKey("workshop_session.id", ondelete="CASCADE"), primary_key=True
    )
    request_id: Mapped[UUID] = mapped_column(
        ForeignKey("garage_request.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    booked_at: Mapped[datetime] = mapped_column(server_default=func.now())
