"""Requests: when their client's personal data was erased (retention).

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-22
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column(
        "garage_request",
        sa.Column("anonymised_at", sa.DateTime(timezone=True), nullable=True),
        schema="garage",
    )
    op.create_index(
        "ix_garage_request_not_anonymised",
        "garage_request",
        ["updated_at"],
        schema="garage",
        postgresql_where=sa.text("anonymised_at IS NULL"),
    )


def downgrade() -> None:
    op.drop_index("ix_garage_request_not_anonymised", "garage_request", schema="garage")
    op.drop_column("garage_request", "anonymised_at", schema="garage")
