"""The park's read model: sites, rooms and hosts as imaging's events tell them.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-29
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SCHEMA = "ticketing"


def _received() -> sa.Column[object]:
    return sa.Column(
        "received_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False
    )


def upgrade() -> None:
    op.create_table(
        "park_site",
        sa.Column("site_id", sa.UUID(), nullable=False),
        sa.Column("code", sa.String(length=20), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("kind_label", sa.String(length=60), nullable=False),
        sa.Column("department", sa.String(length=3), nullable=True),
        sa.Column("zone", sa.String(length=1), nullable=False),
        sa.Column("opening_hours", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("contacts", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        _received(),
        sa.PrimaryKeyConstraint("site_id"),
        schema=SCHEMA,
    )
    op.create_index(
        "uq_park_site_code", "park_site", [sa.text("upper(code)")], unique=True, schema=SCHEMA
    )
    op.create_table(
        "park_room",
        sa.Column("room_id", sa.UUID(), nullable=False),
        sa.Column("site_code", sa.String(length=20), nullable=False),
        sa.Column("room_code", sa.String(length=20), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("kind_label", sa.String(length=60), nullable=False),
        sa.Column("removed", sa.Boolean(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        _received(),
        sa.PrimaryKeyConstraint("room_id"),
        schema=SCHEMA,
    )
    op.create_index(
        "ix_park_room_site_code", "park_room", ["site_code", "room_code"], schema=SCHEMA
    )
    op.create_table(
        "park_host",
        sa.Column("host_id", sa.UUID(), nullable=False),
        sa.Column("site_code", sa.String(length=20), nullable=False),
        sa.Column("room_code", sa.String(length=20), nullable=True),
        sa.Column("asset_tag", sa.String(length=40), nullable=False),
        sa.Column("hostname", sa.String(length=15), nullable=False),
        sa.Column("make", sa.String(length=100), nullable=True),
        sa.Column("model", sa.String(length=100), nullable=True),
        sa.Column("kind_label", sa.String(length=60), nullable=False),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        _received(),
        sa.PrimaryKeyConstraint("host_id"),
        schema=SCHEMA,
    )
    op.create_index(
        "ix_park_host_asset_tag", "park_host", [sa.text("upper(asset_tag)")], schema=SCHEMA
    )


def downgrade() -> None:
    op.drop_index("ix_park_host_asset_tag", "park_host", schema=SCHEMA)
    op.drop_table("park_host", schema=SCHEMA)
    op.drop_index("ix_park_room_site_code", "park_room", schema=SCHEMA)
    op.drop_table("park_room", schema=SCHEMA)
    op.drop_index("uq_park_site_code", "park_site", schema=SCHEMA)
    op.drop_table("park_site", schema=SCHEMA)
