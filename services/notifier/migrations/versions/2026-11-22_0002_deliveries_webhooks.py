"""Stored events, deliveries and attempts, webhook endpoints.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-22
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SCHEMA = "notifier"
TZ = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "event",
        sa.Column("id", postgresql.UUID(as_uuid=True), nullable=False),
        sa.Column("type", sa.String(200), nullable=False),
        sa.Column("source", sa.String(200), nullable=False),
        sa.Column("subject", sa.String(200)),
        sa.Column("time", TZ, nullable=False),
        sa.Column("data", postgresql.JSONB(), nullable=False),
        sa.Column("received_at", TZ, nullable=False, server_default=sa.func.now()),
        sa.PrimaryKeyConstraint("id", name="pk_event"),
        schema=SCHEMA,
    )
    op.create_index("ix_event_time", "event", ["time"], schema=SCHEMA)
    op.create_table(
        "webhook_endpoint",
        sa.Column("id", postgresql.UUID(as_uuid=True), nullable=False),
        sa.Column("url", sa.Text(), nullable=False),
        sa.Column("event_types", postgresql.ARRAY(sa.String(200)), nullable=False),
        sa.Column("description", sa.Text(), nullable=False, server_default=sa.text("''")),
        sa.Column("owner_email", sa.String(320)),
        sa.Column("secret", sa.String(200), nullable=False),
        sa.Column("previous_secret", sa.String(200)),
        sa.Column("previous_secret_expires_at", TZ),
        sa.Column("disabled_at", TZ),
        sa.Column("disabled_reason", sa.Text()),
        sa.Column("failing_since", TZ),
        sa.Column("version", sa.Integer(), nullable=False, server_default=sa.text("1")),
        sa.Column("created_at", TZ, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_webhook_endpoint"),
        schema=SCHEMA,
    )
    op.create_table(
        "delivery",
        sa.Column("id", postgresql.UUID(as_uuid=True), nullable=False),
        sa.Column("channel", sa.String(20), nullable=False),
        sa.Column("event_id", postgresql.UUID(as_uuid=True), nullable=False),
        sa.Column("event_type", sa.String(200), nullable=False),
        sa.Column("subject", sa.String(200)),
        sa.Column("template", sa.String(100), nullable=False),
        sa.Column("recipient", sa.String(320), nullable=False),
        sa.Column("endpoint_id", postgresql.UUID(as_uuid=True)),
        sa.Column("state", sa.String(20), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False, server_default=sa.text("0")),
        sa.Column("next_attempt_at", TZ, nullable=False),
        sa.Column("message_id", sa.String(300), nullable=False),
        sa.Column("last_error", sa.Text()),
        sa.Column(
            "next_trigger", sa.String(20), nullable=False, server_default=sa.text("'scheduled'")
        ),
        sa.Column("created_at", TZ, nullable=False),
        sa.Column("updated_at", TZ, nullable=False),
        sa.Column("sent_at", TZ),
        sa.PrimaryKeyConstraint("id", name="pk_delivery"),
        sa.ForeignKeyConstraint(
            ["event_id"], [f"{SCHEMA}.event.id"], name="fk_delivery_event_id_event"
        ),
        sa.UniqueConstraint(
            "event_id", "template", "recipient", name="uq_delivery_event_id_template_recipient"
        ),
        sa.CheckConstraint("channel IN ('email', 'webhook')", name="ck_delivery_channel"),
        sa.CheckConstraint(
            "state IN ('pending', 'sending', 'sent', 'retrying', 'failed', 'suppressed')",
            name="ck_delivery_state",
        ),
        schema=SCHEMA,
    )
    op.create_index(
        "ix_delivery_due",
        "delivery",
        ["next_attempt_at"],
        schema=SCHEMA,
        postgresql_where=sa.text("state IN ('pending', 'retrying', 'sending')"),
    )
    op.create_index(
        "ix_delivery_subject", "delivery", ["subject", "created_at", "id"], schema=SCHEMA
    )
    op.create_index(
        "ix_delivery_endpoint", "delivery", ["endpoint_id", "created_at", "id"], schema=SCHEMA
    )
    op.create_index("ix_delivery_recipient", "delivery", ["recipient"], schema=SCHEMA)
    op.create_table(
        "delivery_attempt",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=True), nullable=False),
        sa.Column("delivery_id", postgresql.UUID(as_uuid=True), nullable=False),
        sa.Column("attempted_at", TZ, nullable=False),
        sa.Column("duration_ms", sa.Integer(), nullable=False),
        sa.Column("outcome", sa.String(30), nullable=False),
        sa.Column("trigger", sa.String(20), nullable=False),
        sa.Column("status_code", sa.Integer()),
        sa.Column("response", sa.Text()),
        sa.PrimaryKeyConstraint("id", name="pk_delivery_attempt"),
        sa.ForeignKeyConstraint(
            ["delivery_id"],
            [f"{SCHEMA}.delivery.id"],
            name="fk_delivery_attempt_delivery_id_delivery",
        ),
        schema=SCHEMA,
    )
    op.create_index(
        "ix_delivery_attempt_delivery",
        "delivery_attempt",
        ["delivery_id", "id"],
        schema=SCHEMA,
    )


def downgrade() -> None:
    op.drop_table("delivery_attempt", schema=SCHEMA)
    op.drop_table("delivery", schema=SCHEMA)
    op.drop_table("webhook_endpoint", schema=SCHEMA)
    op.drop_table("event", schema=SCHEMA)
