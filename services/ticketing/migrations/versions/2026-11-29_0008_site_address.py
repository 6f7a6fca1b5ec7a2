"""The site's street address: kept by the park's read model from imaging's events, and
copied onto each intervention, so a technician's agenda and calendar say where to go.

Sites already known get theirs with the next event about them (`guichet imaging
republish` sends them all).

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-29
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SCHEMA = "ticketing"


def upgrade() -> None:
    op.add_column("park_site", sa.Column("address", sa.String(300)), schema=SCHEMA)
    op.add_column("intervention", sa.Column("site_address", sa.String(300)), schema=SCHEMA)


def downgrade() -> None:
    op.drop_column("intervention", "site_address", schema=SCHEMA)
    op.drop_column("park_site", "address", schema=SCHEMA)
