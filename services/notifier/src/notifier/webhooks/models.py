"""Webhook endpoints: where events go, signed with the endpoint's secret."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from sqlalchemy import ARRAY, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column

from notifier.db import Base


class WebhookEndpoint(Base):
    __tablename__ = "webhook_endpoint"

    id: Mapped[UUID] = mapped_column(primary_key=True)
    url: Mapped[str] = mapped_column(Text)
    # Shell-style patterns of the event types it receives (`garage.*`).
    event_types: Mapped[list[str]] = mapped_column(ARRAY(String(200)))
    description: Mapped[str] = mapped_column(Text, server_default=text("''"))
    owner_email: Mapped[str | None] = mapped_column(String(320))
    # Kept to sign, never returned after creation or rotation.
    secret: Mapped[str] = mapped_column(String(200))
    previous_secret: Mapped[str | None] = mapped_column(String(200))
    previous_secret_expires_at: Mapped[datetime | None]
    disabled_at: Mapped[datetime | None]
    disabled_reason: Mapped[str | None] = mapped_column(Text)
    failing_since: Mapped[datetime | None]
    # The ETag: every ORM UPDATE checks and bumps it; bulk health updates bump it too.
    version: Mapped[int] = mapped_column(server_default=text("1"))
    created_at: Mapped[datetime]

    __mapper_args__ = {"version_id_col": version, "eager_defaults": True}
