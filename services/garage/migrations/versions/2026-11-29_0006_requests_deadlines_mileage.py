"""Requests: working-day deadlines, drop-off and diagnosis, final mileage, provisional plates.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-29
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SCHEMA = "garage"


def upgrade() -> None:
    add = lambda column: op.add_column("garage_request", column, schema=SCHEMA)  # noqa: E731
    add(sa.Column("provisional_plate", sa.Boolean(), server_default=sa.false(), nullable=False))
    add(sa.Column("final_mileage_km", sa.Integer(), nullable=True))
    add(sa.Column("dropped_off_on", sa.Date(), nullable=True))
    add(sa.Column("diagnosis", sa.Text(), nullable=True))
    add(sa.Column("diagnosed_at", sa.DateTime(timezone=True), nullable=True))
    # No drop-off, no diagnosis deadline: the old ones counted from submission are void.
    op.alter_column("garage_request", "diagnosis_due_at", nullable=True, schema=SCHEMA)
    op.execute(
        "UPDATE garage.garage_request SET diagnosis_due_at = NULL, "
        "diagnosis_deadline_missed_at = NULL"
    )
    # The deadline timer's claims: pending deadlines only, oldest first.
    op.create_index(
        "ix_garage_request_quote_pending",
        "garage_request",
        ["quote_due_at"],
        schema=SCHEMA,
        postgresql_where=sa.text("quoted_at IS NULL AND quote_deadline_missed_at IS NULL"),
    )
    op.create_index(
        "ix_garage_request_diagnosis_pending",
        "garage_request",
        ["diagnosis_due_at"],
        schema=SCHEMA,
        postgresql_where=sa.text(
            "diagnosis_due_at IS NOT NULL AND diagnosed_at IS NULL "
            "AND diagnosis_deadline_missed_at IS NULL"
        ),
    )


def downgrade() -> None:
    op.drop_index("ix_garage_request_diagnosis_pending", "garage_request", schema=SCHEMA)
    op.drop_index("ix_garage_request_quote_pending", "garage_request", schema=SCHEMA)
    op.execute(
        "UPDATE garage.garage_request SET diagnosis_due_at = quote_due_at "
        "WHERE diagnosis_due_at IS NULL"
    )
    op.alter_column("garage_request", "diagnosis_due_at", nullable=False, schema=SCHEMA)
    for column in (
        "diagnosed_at",
        "diagnosis",
        "dropped_off_on",
        "final_mileage_km",
        "provisional_plate",
    ):
        op.drop_column("garage_request", column, schema=SCHEMA)
