"""API keys: the sites a key is limited to, and a version (the ETag revocation checks).

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-29
"""

from collections.abc import Sequence

from alembic import op

from guichet_common.migrations import downgrade_plumbing_v2, upgrade_plumbing_v2

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    upgrade_plumbing_v2(op.get_bind(), "ticketing")


def downgrade() -> None:
    downgrade_plumbing_v2(op.get_bind(), "ticketing")
