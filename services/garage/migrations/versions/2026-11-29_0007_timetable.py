"""Planning: the weekly teaching timetable and the sessions generated from it.

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

SCHEMA = "garage"


def upgrade() -> None:
    op.create_table(
        "timetable_slot",
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column("weekday", sa.SmallInteger(), nullable=False),
        sa.Column("start_time", sa.Time(), nullable=False),
        sa.Column("end_time", sa.Time(), nullable=False),
        sa.Column("student_group", sa.String(length=60), nullable=False),
        sa.Column("teacher", sa.String(length=100), nullable=False),
        sa.Column("bays", sa.Integer(), nullable=False),
        sa.Column("valid_from", sa.Date(), nullable=True),
        sa.Column("valid_until", sa.Date(), nullable=True),
        sa.Column("version", sa.Integer(), server_default=sa.text("1"), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.CheckConstraint(
            "weekday BETWEEN 0 AND 4", name=op.f("ck_timetable_slot_weekday_mon_fri")
        ),
        sa.CheckConstraint(
            "end_time > start_time", name=op.f("ck_timetable_slot_ends_after_start")
        ),
        sa.CheckConstraint("bays > 0", name=op.f("ck_timetable_slot_bays_positive")),
        sa.CheckConstraint(
            "valid_from IS NULL OR valid_until IS NULL OR valid_until >= valid_from",
            name=op.f("ck_timetable_slot_validity_ordered"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_timetable_slot")),
        schema=SCHEMA,
    )
    # Existing sessions were created by hand: version 1, no slot, not cancelled.
    op.add_column(
        "workshop_session",
        sa.Column("version", sa.Integer(), server_default=sa.text("1"), nullable=False),
        schema=SCHEMA,
    )
    op.add_column("workshop_session", sa.Column("slot_id", sa.UUID(), nullable=True), schema=SCHEMA)
    op.add_column(
        "workshop_session", sa.Column("slot_date", sa.Date(), nullable=True), schema=SCHEMA
    )
    op.add_column(
        "workshop_session",
        sa.Column("cancelled_at", sa.DateTime(timezone=True), nullable=True),
        schema=SCHEMA,
    )
    op.create_foreign_key(
        op.f("fk_workshop_session_slot_id_timetable_slot"),
        "workshop_session",
        "timetable_slot",
        ["slot_id"],
        ["id"],
        source_schema=SCHEMA,
        referent_schema=SCHEMA,
        ondelete="SET NULL",
    )
    op.create_unique_constraint(
        op.f("uq_workshop_session_slot_id_slot_date"),
        "workshop_session",
        ["slot_id", "slot_date"],
        schema=SCHEMA,
    )


def downgrade() -> None:
    op.drop_constraint(
        op.f("uq_workshop_session_slot_id_slot_date"),
        "workshop_session",
        type_="unique",
        schema=SCHEMA,
    )
    op.drop_constraint(
        op.f("fk_workshop_session_slot_id_timetable_slot"),
        "workshop_session",
        type_="foreignkey",
        schema=SCHEMA,
    )
    # Cancelled sessions were marks for the timetable only: they go with it.
    op.execute(f"DELETE FROM {SCHEMA}.workshop_session WHERE cancelled_at IS NOT NULL")
    op.drop_column("workshop_session", "cancelled_at", schema=SCHEMA)
    op.drop_column("workshop_session", "slot_date", schema=SCHEMA)
    op.drop_column("workshop_session", "slot_id", schema=SCHEMA)
    op.drop_column("workshop_session", "version", schema=SCHEMA)
    op.drop_table("timetable_slot", schema=SCHEMA)
