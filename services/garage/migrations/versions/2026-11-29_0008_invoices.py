"""Invoices (factures FAC-YYYY-NNNN), issued when the work is done.

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-29
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SCHEMA = "garage"


def upgrade() -> None:
    op.create_table(
        "invoice",
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column("request_id", sa.UUID(), nullable=False),
        sa.Column("number", sa.String(length=16), nullable=False),
        sa.Column("issued_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("issued_by", sa.String(length=200), nullable=False),
        sa.Column("service_date", sa.Date(), nullable=False),
        sa.Column("quote_numbers", postgresql.ARRAY(sa.String(length=16)), nullable=False),
        sa.Column("lines", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("vat_rate", sa.Numeric(precision=5, scale=4), nullable=True),
        sa.Column("vat_breakdown", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("total_ht", sa.Numeric(precision=12, scale=2), nullable=False),
        sa.Column("total_vat", sa.Numeric(precision=12, scale=2), nullable=False),
        sa.Column("total_ttc", sa.Numeric(precision=12, scale=2), nullable=False),
        sa.Column("seller_name", sa.Text(), nullable=False),
        sa.Column("seller_address", sa.Text(), nullable=False),
        sa.Column("seller_siret", sa.Text(), nullable=False),
        sa.Column("seller_vat_number", sa.Text(), nullable=True),
        sa.Column("vat_exemption_mention", sa.Text(), nullable=True),
        sa.Column("client_name", sa.String(length=201), nullable=False),
        sa.Column("client_email", sa.String(length=254), nullable=False),
        sa.Column("plate", sa.String(length=12), nullable=False),
        sa.Column("make", sa.String(length=60), nullable=False),
        sa.Column("model", sa.String(length=60), nullable=False),
        sa.Column("vin", sa.String(length=17), nullable=True),
        sa.Column("mileage_km", sa.Integer(), nullable=False),
        sa.Column("document_pdf", sa.LargeBinary(), nullable=False),
        sa.Column("document_sha256", sa.String(length=64), nullable=False),
        # Kept ten years (Code de commerce, art. L123-22): a request with an invoice is
        # never deleted, and the retention of client data leaves invoices alone.
        sa.ForeignKeyConstraint(
            ["request_id"],
            [f"{SCHEMA}.garage_request.id"],
            name=op.f("fk_invoice_request_id_garage_request"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_invoice")),
        sa.UniqueConstraint("number", name=op.f("uq_invoice_number")),
        sa.UniqueConstraint("request_id", name=op.f("uq_invoice_request_id")),
        schema=SCHEMA,
    )


def downgrade() -> None:
    op.drop_table("invoice", schema=SCHEMA)
