"""Stored events, deliveries (one per event, template and recipient) and their attempts."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any
from uuid import UUID

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    ForeignKey,
    Identity,
    Index,
    String,
    Text,
    UniqueConstraint,
    func,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from guichet_common.db import EnumText
from notifier.db import Base


class Channel(StrEnum):
    EMAIL = "email"
    WEBHOOK = "webhook"


class DeliveryState(StrEnum):
    PENDING = "pending"
    SENDING = "sending"
    SENT = "sent"
    RETRYING = "retrying"
    FAILED = "failed"
    SUPPRESSED = "suppressed"


class AttemptOutcome(StrEnum):
    SUCCESS = "success"
    TEMPORARY_FAILURE = "temporary_failure"
    PERMANENT_FAILURE = "permanent_failure"


class AttemptTrigger(StrEnum):
    SCHEDULED = "scheduled"
    MANUAL = "manual"


# What the attempt log keeps of a reply or an error: enough to diagnose, bounded.
RESPONSE_LIMIT = 2000
# Replies that say the mailbox does not exist or never will accept mail (RFC 5321 §4.2.3).
HARD_BOUNCE_CODES = (550, 551, 553)


class StoredEvent(Base):
    """The event as it arrived: what every rendering and every webhook replay needs."""

    __tablename__ = "event"
    __table_args__ = (Index("ix_event_time", "time"),)

    id: Mapped[UUID] = mapped_column(primary_key=True)
    type: Mapped[str] = mapped_column(String(200))
    source: Mapped[str] = mapped_column(String(200))
    subject: Mapped[str | None] = mapped_column(String(200))
    time: Mapped[datetime]
    data: Mapped[dict[str, Any]] = mapped_column(JSONB)
    received_at: Mapped[datetime] = mapped_column(server_default=func.now())


class Delivery(Base):
    __tablename__ = "delivery"
    __table_args__ = (
        UniqueConstraint("event_id", "template", "recipient"),
        CheckConstraint("channel IN ('email', 'webhook')", name="channel"),
        CheckConstraint(
            "state IN ('pending', 'sending', 'sent', 'retrying', 'failed', 'suppressed')",
            name="state",
        ),
        Index(
            "ix_delivery_due",
            "next_attempt_at",
            postgresql_where=text("state IN ('pending', 'retrying', 'sending')"),
        ),
        Index("ix_delivery_subject", "subject", "created_at", "id"),
        Index("ix_delivery_endpoint", "endpoint_id", "created_at", "id"),
        Index("ix_delivery_recipient", "recipient"),
    )

    id: Mapped[UUID] = mapped_column(primary_key=True)
    channel: Mapped[Channel] = mapped_column(EnumText(Channel, 20))
    event_id: Mapped[UUID] = mapped_column(ForeignKey(StoredEvent.id))
    event_type: Mapped[str] = mapped_column(String(200))
    subject: Mapped[str | None] = mapped_column(String(200))
    # For a webhook the "template" is `webhook` and the recipient the endpoint id.
    template: Mapped[str] = mapped_column(String(100))
    recipient: Mapped[str] = mapped_column(String(320))
    endpoint_id: Mapped[UUID | None]
    state: Mapped[DeliveryState] = mapped_column(EnumText(DeliveryState, 20))
    attempts: Mapped[int] = mapped_column(server_default=text("0"))
    next_attempt_at: Mapped[datetime]
    message_id: Mapped[str] = mapped_column(String(300))
    last_error: Mapped[str | None] = mapped_column(Text)
    # Who asked for the next attempt: the schedule, or a person (retry, redeliver, replay).
    next_trigger: Mapped[AttemptTrigger] = mapped_column(
        EnumText(AttemptTrigger, 20), server_default=text("'scheduled'")
    )
    # The ETag: every ORM UPDATE checks and bumps it; the sender's bulk updates bump it too.
    version: Mapped[int] = mapped_column(server_default=text("1"))
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]
    sent_at: Mapped[datetime | None]

    __mapper_args__ = {"version_id_col": version, "eager_defaults": True}


class DeliveryAttempt(Base):
    __tablename__ = "delivery_attempt"
    __table_args__ = (Index("ix_delivery_attempt_delivery", "delivery_id", "id"),)

    id: Mapped[int] = mapped_column(BigInteger, Identity(always=True), primary_key=True)
    delivery_id: Mapped[UUID] = mapped_column(ForeignKey(Delivery.id))
    attempted_at: Mapped[datetime]
    duration_ms: Mapped[int]
    outcome: Mapped[AttemptOutcome] = mapped_column(EnumText(AttemptOutcome, 30))
    trigger: Mapped[AttemptTrigger] = mapped_column(EnumText(AttemptTrigger, 20))
    status_code: Mapped[int | None]
    response: Mapped[str | None] = mapped_column(Text)


@dataclass(frozen=True)
class DeliveryWithAttempts:
    """A delivery and its attempt log, oldest attempt first: one line of a timeline."""

    delivery: Delivery
    attempts: list[DeliveryAttempt]


@dataclass(frozen=True)
class DeliveryOutcome:
    """What became of one claimed delivery: its next state and, if it was tried, the
    attempt (none for a delivery handed back unsent or suppressed without trying)."""

    delivery: Delivery
    state: DeliveryState
    next_attempt_at: datetime
    error: str | None
    attempt: DeliveryAttempt | None = None
    sent_at: datetime | None = None
