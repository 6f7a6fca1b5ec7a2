"""Outbox: a row the bus keeps refusing is retried later, then set aside.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-29
"""

from collections.abc import Sequence

from alembic import op

from guichet_common.migrations import downgrade_plumbing_v3, upgrade_plumbing_v3

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    upgrade_plumbing_v3(op.get_bind(), "ticketing")


def downgrade() -> None:
    downgrade_plumbing_v3(op.get_bind(), "ticketing")
