"""Webhook endpoints: where events go, signed with the endpoint's secret."""

from __future__ import annotations

from sqlalchemy import ARRAY, Column, DateTime, Integer, String, Table, Text, text
from sqlalchemy.dialects.postgresql import UUID

from notifier.db import metadata

webhook_endpoint = Table(
    "webhook_endpoint",
    metadata,
    Column("id", UUID(as_uuid=True), primary_key=True),
    Column("url", Text, nullable=False),
    Column("event_types", ARRAY(String(200)), nullable=False),
    Column("description", Text, nullable=False, server_default=text("''")),
    Column("owner_email", String(320)),
    # Kept to sign, never returned after creation or rotation.
    Column("secret", String(200), nullable=False),
    Column("previous_secret", String(200)),
    Column("previous_secret_expires_at", DateTime(timezone=True)),
    Column("disabled_at", DateTime(timezone=True)),
    Column("disabled_reason", Text),
    Column("failing_since", DateTime(timezone=True)),
    Column("version", Integer, nullable=False, server_default=text("1")),
    Column("created_at", DateTime(timezone=True), nullable=False),
)
