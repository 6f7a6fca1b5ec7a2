"""Inventories and their history per host, the software reference lists.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-29
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SCHEMA = "imaging"


def _jsonb() -> postgresql.JSONB:
    return postgresql.JSONB(astext_type=sa.Text())


def _created_at(name: str) -> sa.Column[object]:
    return sa.Column(
        name, sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False
    )


def upgrade() -> None:
    op.create_table(
        "inventory",
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column("host_id", sa.UUID(), nullable=False),
        _created_at("received_at"),
        sa.Column("agent_id", sa.String(length=64), nullable=False),
        sa.Column("device_id", sa.String(length=255), nullable=False),
        sa.Column("versionclient", sa.String(length=100), nullable=False),
        sa.Column("partial", sa.Boolean(), server_default=sa.text("false"), nullable=False),
        sa.Column("content_sha256", sa.String(length=64), nullable=False),
        sa.Column("document", _jsonb(), nullable=False),
        sa.Column("summary", _jsonb(), nullable=False),
        sa.Column("changes", _jsonb(), server_default=sa.text("'[]'::jsonb"), nullable=False),
        sa.ForeignKeyConstraint(["host_id"], [f"{SCHEMA}.host.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        schema=SCHEMA,
    )
    op.create_index(
        "ix_inventory_host_received",
        "inventory",
        ["host_id", "received_at", "id"],
        schema=SCHEMA,
    )
    op.create_index("ix_inventory_device_id", "inventory", ["device_id"], schema=SCHEMA)
    op.create_table(
        "software_reference",
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column("site_id", sa.UUID(), nullable=True),
        sa.Column("host_kind", sa.String(length=20), nullable=True),
        sa.Column("name_pattern", sa.String(length=200), nullable=False),
        sa.Column("min_version", sa.String(length=50), nullable=True),
        sa.Column("label", sa.String(length=200), nullable=False),
        sa.Column("version", sa.Integer(), server_default=sa.text("1"), nullable=False),
        _created_at("created_at"),
        sa.ForeignKeyConstraint(["site_id"], [f"{SCHEMA}.site.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        schema=SCHEMA,
    )
    op.create_index(
        "ix_software_reference_site_id", "software_reference", ["site_id"], schema=SCHEMA
    )


def downgrade() -> None:
    op.drop_index("ix_software_reference_site_id", "software_reference", schema=SCHEMA)
    op.drop_table("software_reference", schema=SCHEMA)
    op.drop_index("ix_inventory_device_id", "inventory", schema=SCHEMA)
    op.drop_index("ix_inventory_host_received", "inventory", schema=SCHEMA)
    op.drop_table("inventory", schema=SCHEMA)
