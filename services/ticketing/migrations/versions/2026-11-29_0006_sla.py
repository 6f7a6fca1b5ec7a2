"""The SLA clock: targets per priority, each ticket's clocks and their periods.

The targets are seeded with these defaults, in business minutes (the site's opening
hours, less public and school holidays), for a supervisor to adjust
(`PUT /api/ticketing/settings/sla-targets`):

| priority       | time to own     | time to resolve        |
|----------------|-----------------|------------------------|
| 6 Majeure      | 30 min          | 4 h (240 min)          |
| 5 Très haute   | 1 h (60 min)    | 8 h (480 min)          |
| 4 Haute        | 2 h (120 min)   | 16 h (960 min)         |
| 3 Moyenne      | 4 h (240 min)   | 24 h (1,440 min)       |
| 2 Basse        | 8 h (480 min)   | 40 h (2,400 min)       |
| 1 Très basse   | 16 h (960 min)  | 80 h (4,800 min)       |

Tickets opened before this revision get no clock: the SLA counts from here on.

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

DEFAULT_TARGETS = {
    6: (30, 240),
    5: (60, 480),
    4: (120, 960),
    3: (240, 1440),
    2: (480, 2400),
    1: (960, 4800),
}


def upgrade() -> None:
    targets = op.create_table(
        "sla_target",
        sa.Column("priority", sa.SmallInteger(), autoincrement=False, nullable=False),
        sa.Column("tto_minutes", sa.Integer(), nullable=False),
        sa.Column("ttr_minutes", sa.Integer(), nullable=False),
        sa.Column("updated_by", sa.String(length=200), nullable=True),
        sa.Column(
            "updated_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column("version", sa.Integer(), server_default=sa.text("1"), nullable=False),
        sa.CheckConstraint(
            "tto_minutes > 0 AND ttr_minutes >= tto_minutes", name=op.f("ck_sla_target_minutes")
        ),
        sa.CheckConstraint("priority BETWEEN 1 AND 6", name=op.f("ck_sla_target_priority_range")),
        sa.PrimaryKeyConstraint("priority", name=op.f("pk_sla_target")),
        schema="ticketing",
    )
    op.bulk_insert(
        targets,
        [
            {"priority": priority, "tto_minutes": tto, "ttr_minutes": ttr}
            for priority, (tto, ttr) in sorted(DEFAULT_TARGETS.items())
        ],
    )
    op.create_table(
        "sla_clock",
        sa.Column("ticket_id", sa.Uuid(), nullable=False),
        sa.Column("kind", sa.String(length=3), nullable=False),
        sa.Column("priority", sa.SmallInteger(), nullable=False),
        sa.Column("target_minutes", sa.Integer(), nullable=False),
        sa.Column("elapsed_seconds", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.Column("running_since", sa.DateTime(timezone=True), nullable=True),
        sa.Column("deadline", sa.DateTime(timezone=True), nullable=True),
        sa.Column("warn_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("stopped_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("ended_by", sa.String(length=10), nullable=True),
        sa.Column("warned_deadline", sa.DateTime(timezone=True), nullable=True),
        sa.Column("breached_deadline", sa.DateTime(timezone=True), nullable=True),
        sa.Column("next_check_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint("elapsed_seconds >= 0", name=op.f("ck_sla_clock_elapsed")),
        sa.ForeignKeyConstraint(
            ["ticket_id"],
            ["ticketing.ticket.id"],
            name=op.f("fk_sla_clock_ticket_id_ticket"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("ticket_id", "kind", name=op.f("pk_sla_clock")),
        schema="ticketing",
    )
    # The worker's only way in: the clocks with something to say, soonest first.
    op.create_index(
        "ix_sla_clock_next_check",
        "sla_clock",
        ["next_check_at"],
        unique=False,
        schema="ticketing",
        postgresql_where=sa.text("next_check_at IS NOT NULL"),
    )
    op.create_table(
        "sla_period",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("ticket_id", sa.Uuid(), nullable=False),
        sa.Column("kind", sa.String(length=3), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ended_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("paused", sa.Boolean(), nullable=False),
        sa.Column("reason", sa.String(length=120), nullable=False),
        sa.CheckConstraint(
            "ended_at IS NULL OR ended_at >= started_at", name=op.f("ck_sla_period_span")
        ),
        sa.ForeignKeyConstraint(
            ["ticket_id", "kind"],
            ["ticketing.sla_clock.ticket_id", "ticketing.sla_clock.kind"],
            name="fk_sla_period_clock",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sla_period")),
        schema="ticketing",
    )
    op.create_index(
        "ix_sla_period_clock",
        "sla_period",
        ["ticket_id", "kind", "id"],
        unique=False,
        schema="ticketing",
    )
    op.create_index(
        "uq_sla_period_open",
        "sla_period",
        ["ticket_id", "kind"],
        unique=True,
        schema="ticketing",
        postgresql_where=sa.text("ended_at IS NULL"),
    )


def downgrade() -> None:
    op.drop_index(
        "uq_sla_period_open",
        table_name="sla_period",
        schema="ticketing",
        postgresql_where=sa.text("ended_at IS NULL"),
    )
    op.drop_index("ix_sla_period_clock", table_name="sla_period", schema="ticketing")
    op.drop_table("sla_period", schema="ticketing")
    op.drop_index(
        "ix_sla_clock_next_check",
        table_name="sla_clock",
        schema="ticketing",
        postgresql_where=sa.text("next_check_at IS NOT NULL"),
    )
    op.drop_table("sla_clock", schema="ticketing")
    op.drop_table("sla_target", schema="ticketing")
