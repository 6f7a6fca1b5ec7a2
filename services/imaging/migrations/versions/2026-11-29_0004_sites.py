"""Sites, rooms and host groups.

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

SCHEMA = "imaging"


def _versioned() -> list[sa.Column[int] | sa.Column[object]]:
    return [
        sa.Column("version", sa.Integer(), server_default=sa.text("1"), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
    ]


def upgrade() -> None:
    op.create_table(
        "site",
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column("code", sa.String(length=20), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("uai", sa.String(length=8), nullable=True),
        sa.Column("department", sa.String(length=3), nullable=True),
        sa.Column("zone", sa.String(length=1), nullable=False),
        sa.Column("address", sa.Text(), nullable=True),
        sa.Column(
            "opening_hours",
            postgresql.JSONB(astext_type=sa.Text()),
            server_default=sa.text("'[]'::jsonb"),
            nullable=False,
        ),
        sa.Column(
            "contacts",
            postgresql.JSONB(astext_type=sa.Text()),
            server_default=sa.text("'[]'::jsonb"),
            nullable=False,
        ),
        sa.Column("active", sa.Boolean(), server_default=sa.text("true"), nullable=False),
        sa.Column("hostname_prefix", sa.String(length=6), nullable=False),
        *_versioned(),
        sa.Column(
            "updated_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("uai"),
        schema=SCHEMA,
    )
    op.create_index(
        "uq_site_code_folded", "site", [sa.text("upper(code)")], unique=True, schema=SCHEMA
    )
    op.create_table(
        "room",
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column("site_id", sa.UUID(), nullable=False),
        sa.Column("code", sa.String(length=20), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("removed_at", sa.DateTime(timezone=True), nullable=True),
        *_versioned(),
        sa.ForeignKeyConstraint(["site_id"], [f"{SCHEMA}.site.id"], ondelete="RESTRICT"),
        sa.PrimaryKeyConstraint("id"),
        schema=SCHEMA,
    )
    # A removed room frees its code: only live rooms are unique in their site.
    op.create_index(
        "uq_room_live_code",
        "room",
        ["site_id", "code"],
        unique=True,
        schema=SCHEMA,
        postgresql_where=sa.text("removed_at IS NULL"),
    )
    op.create_table(
        "host_group",
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column("site_id", sa.UUID(), nullable=False),
        sa.Column("code", sa.String(length=40), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        *_versioned(),
        sa.ForeignKeyConstraint(["site_id"], [f"{SCHEMA}.site.id"], ondelete="RESTRICT"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("site_id", "code"),
        schema=SCHEMA,
    )


def downgrade() -> None:
    op.drop_table("host_group", schema=SCHEMA)
    op.drop_index("uq_room_live_code", "room", schema=SCHEMA)
    op.drop_table("room", schema=SCHEMA)
    op.drop_index("uq_site_code_folded", "site", schema=SCHEMA)
    op.drop_table("site", schema=SCHEMA)
