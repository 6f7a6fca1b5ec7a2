"""Stored events, deliveries (one per event, template and recipient) and their attempts."""

from __future__ import annotations

from enum import StrEnum

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    Column,
    DateTime,
    ForeignKey,
    Identity,
    Index,
    Integer,
    String,
    Table,
    Text,
    UniqueConstraint,
    func,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB, UUID

from notifier.db import metadata


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


# What every rendering and every webhook replay needs: the event as it arrived.
stored_event = Table(
    "event",
    metadata,
    Column("id", UUID(as_uuid=True), primary_key=True),
    Column("type", String(200), nullable=False),
    Column("source", String(200), nullable=False),
    Column("subject", String(200)),
    Column("time", DateTime(timezone=True), nullable=False),
    Column("data", JSONB, nullable=False),
    Column("received_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Index("ix_event_time", "time"),
)

delivery = Table(
    "delivery",
    metadata,
    Column("id", UUID(as_uuid=True), primary_key=True),
    Column("channel", String(20), nullable=False),
    Column("event_id", UUID(as_uuid=True), ForeignKey(stored_event.c.id), nullable=False),
    Column("event_type", String(200), nullable=False),
    Column("subject", String(200)),
    # For a webhook the "template" is `webhook` and the recipient the endpoint id.
    Column("template", String(100), nullable=False),
    Column("recipient", String(320), nullable=False),
    Column("endpoint_id", UUID(as_uuid=True)),
    Column("state", String(20), nullable=False),
    Column("attempts", Integer, nullable=False, server_default=text("0")),
    Column("next_attempt_at", DateTime(timezone=True), nullable=False),
    Column("message_id", String(300), nullable=False),
    Column("last_error", Text),
    # Who asked for the next attempt: the schedule, or a person (retry, redeliver, replay).
    Column("next_trigger", String(20), nullable=False, server_default=text("'scheduled'")),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
    Column("sent_at", DateTime(timezone=True)),
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

delivery_attempt = Table(
    "delivery_attempt",
    metadata,
    Column("id", BigInteger, Identity(always=True), primary_key=True),
    Column("delivery_id", UUID(as_uuid=True), ForeignKey(delivery.c.id), nullable=False),
    Column("attempted_at", DateTime(timezone=True), nullable=False),
    Column("duration_ms", Integer, nullable=False),
    Column("outcome", String(30), nullable=False),
    Column("trigger", String(20), nullable=False),
    Column("status_code", Integer),
    Column("response", Text),
    Index("ix_delivery_attempt_delivery", "delivery_id", "id"),
)
