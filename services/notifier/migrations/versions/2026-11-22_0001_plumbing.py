"""Plumbing tables: outbox, processed_event, idempotency_key, api_key.

Revision ID: 0001
Revises:
Create Date: 2026-11-22
"""

from collections.abc import Sequence

from alembic import op

from guichet_common.migrations import create_plumbing_tables, drop_plumbing_tables

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    create_plumbing_tables(op.get_bind(), "notifier")


def downgrade() -> None:
    drop_plumbing_tables(op.get_bind(), "notifier")
