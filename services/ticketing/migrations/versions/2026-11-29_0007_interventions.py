"""Interventions: planned visits, signed on-site sheets, remote sessions with consent.

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-29
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "intervention",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("ticket_id", sa.Uuid(), nullable=False),
        sa.Column("mode", sa.String(length=10), nullable=False),
        sa.Column("technician", sa.String(length=200), nullable=False),
        sa.Column("technician_name", sa.String(length=120), nullable=False),
        sa.Column("technician_email", sa.String(length=254), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("planned_for", sa.DateTime(timezone=True), nullable=True),
        sa.Column("reference", sa.String(length=16), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("category_label", sa.String(length=120), nullable=False),
        sa.Column("site_code", sa.String(length=20), nullable=False),
        sa.Column("site_name", sa.String(length=200), nullable=False),
        sa.Column("room_code", sa.String(length=20), nullable=True),
        sa.Column("asset_tag", sa.String(length=40), nullable=True),
        sa.Column("model", sa.String(length=200), nullable=True),
        sa.Column("hostname", sa.String(length=15), nullable=True),
        sa.Column("hardware_need", sa.String(length=1000), nullable=True),
        sa.Column("requester_name", sa.String(length=120), nullable=False),
        sa.Column("requester_phone", sa.String(length=30), nullable=True),
        sa.Column("affected_name", sa.String(length=120), nullable=True),
        sa.Column("affected_phone", sa.String(length=30), nullable=True),
        sa.Column("notified_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("consent_given_by", sa.String(length=120), nullable=True),
        sa.Column("consent_given_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("consent_how", sa.String(length=10), nullable=True),
        sa.Column("session_id", sa.String(length=200), nullable=True),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("ended_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("clean_close", sa.Boolean(), nullable=True),
        sa.Column("user_confirmed_working", sa.Boolean(), nullable=True),
        sa.Column("signer_name", sa.String(length=120), nullable=True),
        sa.Column("signed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("sheet_sha256", sa.String(length=64), nullable=True),
        sa.Column("created_by", sa.String(length=200), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column(
            "updated_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column("version", sa.Integer(), server_default=sa.text("1"), nullable=False),
        sa.CheckConstraint(
            "consent_given_at IS NULL OR consent_given_at <= started_at",
            name=op.f("ck_intervention_consent_first"),
        ),
        sa.CheckConstraint(
            "ended_at IS NULL OR ended_at >= started_at",
            name=op.f("ck_intervention_session_order"),
        ),
        sa.CheckConstraint(
            "mode <> 'remote' OR (consent_given_by IS NOT NULL AND consent_given_at IS NOT NULL"
            " AND consent_how IS NOT NULL AND session_id IS NOT NULL AND started_at IS NOT NULL"
            " AND ended_at IS NOT NULL AND clean_close IS NOT NULL"
            " AND user_confirmed_working IS NOT NULL)",
            name=op.f("ck_intervention_remote_with_consent"),
        ),
        sa.CheckConstraint(
            "mode = 'on_site' OR (planned_for IS NULL AND signed_at IS NULL)",
            name=op.f("ck_intervention_remote_neither_planned_nor_signed"),
        ),
        sa.CheckConstraint(
            "(signed_at IS NULL) = (signer_name IS NULL)"
            " AND (signed_at IS NULL) = (sheet_sha256 IS NULL)",
            name=op.f("ck_intervention_signed_completely"),
        ),
        sa.ForeignKeyConstraint(
            ["technician"],
            ["ticketing.technician.login"],
            name=op.f("fk_intervention_technician_technician"),
        ),
        sa.ForeignKeyConstraint(
            ["ticket_id"],
            ["ticketing.ticket.id"],
            name=op.f("fk_intervention_ticket_id_ticket"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_intervention")),
        schema="ticketing",
    )
    op.create_index(
        "ix_intervention_agenda",
        "intervention",
        ["technician", "planned_for"],
        unique=False,
        schema="ticketing",
    )
    op.create_index(
        "ix_intervention_ticket",
        "intervention",
        ["ticket_id", "created_at"],
        unique=False,
        schema="ticketing",
    )
    op.create_table(
        "intervention_signature",
        sa.Column("intervention_id", sa.Uuid(), nullable=False),
        sa.Column("image_png", sa.LargeBinary(), nullable=False),
        sa.Column("width", sa.Integer(), nullable=False),
        sa.Column("height", sa.Integer(), nullable=False),
        sa.Column("sheet_pdf", sa.LargeBinary(), nullable=False),
        sa.Column("signed_by", sa.String(length=200), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.CheckConstraint(
            "width > 0 AND height > 0", name=op.f("ck_intervention_signature_image_size")
        ),
        sa.ForeignKeyConstraint(
            ["intervention_id"],
            ["ticketing.intervention.id"],
            name=op.f("fk_intervention_signature_intervention_id_intervention"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("intervention_id", name=op.f("pk_intervention_signature")),
        schema="ticketing",
    )


def downgrade() -> None:
    op.drop_table("intervention_signature", schema="ticketing")
    op.drop_index("ix_intervention_ticket", table_name="intervention", schema="ticketing")
    op.drop_index("ix_intervention_agenda", table_name="intervention", schema="ticketing")
    op.drop_table("intervention", schema="ticketing")
