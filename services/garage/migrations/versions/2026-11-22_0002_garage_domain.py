"""Garage domain: requests, history, quotes and their links, workshop sessions, counters.

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


def upgrade() -> None:
    op.create_table(
        "garage_request",
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column("number", sa.String(length=16), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("version", sa.Integer(), server_default=sa.text("1"), nullable=False),
        sa.Column("last_name", sa.String(length=100), nullable=False),
        sa.Column("first_name", sa.String(length=100), nullable=False),
        sa.Column("email", sa.String(length=254), nullable=False),
        sa.Column("phone", sa.String(length=20), nullable=False),
        sa.Column("plate", sa.String(length=12), nullable=False),
        sa.Column("make", sa.String(length=60), nullable=False),
        sa.Column("model", sa.String(length=60), nullable=False),
        sa.Column("vin", sa.String(length=17), nullable=True),
        sa.Column("mileage_km", sa.Integer(), nullable=False),
        sa.Column("service_type", sa.String(length=20), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("urgency", sa.String(length=10), nullable=False),
        sa.Column("consent_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("tracking_token", sa.String(length=64), nullable=False),
        sa.Column(
            "teachers",
            postgresql.ARRAY(sa.String(length=100)),
            server_default=sa.text("'{}'"),
            nullable=False,
        ),
        sa.Column("student_group", sa.String(length=60), nullable=True),
        sa.Column("work_done", sa.Text(), nullable=True),
        sa.Column(
            "submitted_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column("quote_due_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("diagnosis_due_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("quote_deadline_missed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("diagnosis_deadline_missed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("triaged_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("quoted_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("handed_back_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column(
            "updated_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_garage_request")),
        sa.UniqueConstraint("number", name=op.f("uq_garage_request_number")),
        sa.UniqueConstraint("tracking_token", name=op.f("uq_garage_request_tracking_token")),
        schema="garage",
    )
    op.create_index(
        "ix_garage_request_status_submitted",
        "garage_request",
        ["status", "submitted_at", "id"],
        unique=False,
        schema="garage",
    )
    op.create_index(
        "ix_garage_request_submitted",
        "garage_request",
        ["submitted_at", "id"],
        unique=False,
        schema="garage",
    )
    op.create_table(
        "reference_counter",
        sa.Column("kind", sa.String(length=8), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("last_value", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("kind", "year", name=op.f("pk_reference_counter")),
        schema="garage",
    )
    op.create_table(
        "workshop_session",
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column("starts_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ends_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("bays", sa.Integer(), nullable=False),
        sa.Column("teacher", sa.String(length=100), nullable=False),
        sa.Column("student_group", sa.String(length=60), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.CheckConstraint("bays > 0", name=op.f("ck_workshop_session_bays_positive")),
        sa.CheckConstraint(
            "ends_at > starts_at", name=op.f("ck_workshop_session_ends_after_start")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_workshop_session")),
        schema="garage",
    )
    op.create_index(
        "ix_workshop_session_starts",
        "workshop_session",
        ["starts_at"],
        unique=False,
        schema="garage",
    )
    op.create_table(
        "quote",
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column("request_id", sa.UUID(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("is_supplement", sa.Boolean(), server_default=sa.text("false"), nullable=False),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("number", sa.String(length=16), nullable=True),
        sa.Column("lines", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("hourly_rate", sa.Numeric(precision=10, scale=2), nullable=False),
        sa.Column("vat_rate", sa.Numeric(precision=5, scale=4), nullable=False),
        sa.Column("total_ht", sa.Numeric(precision=12, scale=2), nullable=False),
        sa.Column("total_vat", sa.Numeric(precision=12, scale=2), nullable=False),
        sa.Column("total_ttc", sa.Numeric(precision=12, scale=2), nullable=False),
        sa.Column("start_date", sa.Date(), nullable=True),
        sa.Column("duration_days", sa.Integer(), nullable=True),
        sa.Column("etag_version", sa.Integer(), server_default=sa.text("1"), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column("issued_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("issued_by", sa.String(length=200), nullable=True),
        sa.Column("valid_until", sa.Date(), nullable=True),
        sa.Column("document_pdf", sa.LargeBinary(), nullable=True),
        sa.Column("document_sha256", sa.String(length=64), nullable=True),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("decision_name", sa.String(length=200), nullable=True),
        sa.Column("decision_ip", sa.String(length=64), nullable=True),
        sa.ForeignKeyConstraint(
            ["request_id"],
            ["garage.garage_request.id"],
            name=op.f("fk_quote_request_id_garage_request"),
            ondelete="CASCADE",
            deferrable=True,
            initially="DEFERRED",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_quote")),
        sa.UniqueConstraint("number", name=op.f("uq_quote_number")),
        sa.UniqueConstraint("request_id", "version", name=op.f("uq_quote_request_id_version")),
        schema="garage",
    )
    op.create_index(
        op.f("ix_garage_quote_request_id"), "quote", ["request_id"], unique=False, schema="garage"
    )
    op.create_table(
        "request_history",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=True), nullable=False),
        sa.Column("request_id", sa.UUID(), nullable=False),
        sa.Column("action", sa.String(length=30), nullable=False),
        sa.Column("from_status", sa.String(length=20), nullable=True),
        sa.Column("to_status", sa.String(length=20), nullable=False),
        sa.Column("actor", sa.String(length=200), nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column(
            "at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False
        ),
        sa.ForeignKeyConstraint(
            ["request_id"],
            ["garage.garage_request.id"],
            name=op.f("fk_request_history_request_id_garage_request"),
            ondelete="CASCADE",
            deferrable=True,
            initially="DEFERRED",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_request_history")),
        schema="garage",
    )
    op.create_index(
        op.f("ix_garage_request_history_request_id"),
        "request_history",
        ["request_id"],
        unique=False,
        schema="garage",
    )
    op.create_table(
        "session_booking",
        sa.Column("session_id", sa.UUID(), nullable=False),
        sa.Column("request_id", sa.UUID(), nullable=False),
        sa.Column(
            "booked_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False
        ),
        sa.ForeignKeyConstraint(
            ["request_id"],
            ["garage.garage_request.id"],
            name=op.f("fk_session_booking_request_id_garage_request"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["session_id"],
            ["garage.workshop_session.id"],
            name=op.f("fk_session_booking_session_id_workshop_session"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("session_id", "request_id", name=op.f("pk_session_booking")),
        schema="garage",
    )
    op.create_index(
        op.f("ix_garage_session_booking_request_id"),
        "session_booking",
        ["request_id"],
        unique=False,
        schema="garage",
    )
    op.create_table(
        "quote_link",
        sa.Column("token_id", sa.String(length=32), nullable=False),
        sa.Column("quote_id", sa.UUID(), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("used_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["quote_id"],
            ["garage.quote.id"],
            name=op.f("fk_quote_link_quote_id_quote"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("token_id", name=op.f("pk_quote_link")),
        schema="garage",
    )
    op.create_index(
        op.f("ix_garage_quote_link_quote_id"),
        "quote_link",
        ["quote_id"],
        unique=False,
        schema="garage",
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_garage_quote_link_quote_id"), table_name="quote_link", schema="garage")
    op.drop_table("quote_link", schema="garage")
    op.drop_index(
        op.f("ix_garage_session_booking_request_id"), table_name="session_booking", schema="garage"
    )
    op.drop_table("session_booking", schema="garage")
    op.drop_index(
        op.f("ix_garage_request_history_request_id"), table_name="request_history", schema="garage"
    )
    op.drop_table("request_history", schema="garage")
    op.drop_index(op.f("ix_garage_quote_request_id"), table_name="quote", schema="garage")
    op.drop_table("quote", schema="garage")
    op.drop_index("ix_workshop_session_starts", table_name="workshop_session", schema="garage")
    op.drop_table("workshop_session", schema="garage")
    op.drop_table("reference_counter", schema="garage")
    op.drop_index("ix_garage_request_submitted", table_name="garage_request", schema="garage")
    op.drop_index(
        "ix_garage_request_status_submitted", table_name="garage_request", schema="garage"
    )
    op.drop_table("garage_request", schema="garage")
