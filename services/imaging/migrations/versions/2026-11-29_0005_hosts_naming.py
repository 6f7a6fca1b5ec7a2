"""Hosts, naming policies and the hostname register.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-29
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SCHEMA = "imaging"

# A valid NetBIOS hostname, upper case (as `imaging.naming.models.NETBIOS_CHECK`).
NETBIOS = "{column} ~ '^[A-Z0-9]([A-Z0-9-]{{0,13}}[A-Z0-9])?$' AND {column} !~ '^[0-9]+$'"
# The policy of last resort: 6 + 1 + 1 + 3 + 1 + 3 = 15 characters at most
# (`CHECYC-PPC-001`: a desktop of the pedagogy network).
DEFAULT_POLICY_ID = "00000000-0000-7000-8000-000000000001"
DEFAULT_TEMPLATE = "{prefix}-{net}{kind}-{nnn}"


def _timestamp(name: str, *, nullable: bool = False, now: bool = False) -> sa.Column[object]:
    return sa.Column(
        name,
        sa.DateTime(timezone=True),
        server_default=sa.text("now()") if now else None,
        nullable=nullable,
    )


def upgrade() -> None:
    op.create_table(
        "naming_policy",
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column("site_id", sa.UUID(), nullable=True),
        sa.Column("host_kind", sa.String(length=20), nullable=True),
        sa.Column("template", sa.String(length=60), nullable=False),
        sa.Column("version", sa.Integer(), server_default=sa.text("1"), nullable=False),
        _timestamp("created_at", now=True),
        _timestamp("updated_at", now=True),
        sa.ForeignKeyConstraint(
            ["site_id"],
            [f"{SCHEMA}.site.id"],
            name="fk_naming_policy_site_id_site",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name="pk_naming_policy"),
        sa.UniqueConstraint(
            "site_id",
            "host_kind",
            name="uq_naming_policy_site_id_host_kind",
            postgresql_nulls_not_distinct=True,
        ),
        schema=SCHEMA,
    )
    op.execute(
        sa.text(
            f"INSERT INTO {SCHEMA}.naming_policy (id, site_id, host_kind, template) "
            "VALUES (CAST(:id AS uuid), NULL, NULL, :template)"
        ).bindparams(id=DEFAULT_POLICY_ID, template=DEFAULT_TEMPLATE)
    )

    op.create_table(
        "host",
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column("site_id", sa.UUID(), nullable=False),
        sa.Column("room_id", sa.UUID(), nullable=True),
        sa.Column("asset_tag", sa.String(length=12), nullable=False),
        sa.Column("hostname", sa.String(length=15), nullable=False),
        sa.Column("serial", sa.String(length=100), nullable=True),
        sa.Column("make", sa.String(length=100), nullable=True),
        sa.Column("model", sa.String(length=100), nullable=True),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("network", sa.String(length=10), nullable=False),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("purchase_date", sa.Date(), nullable=True),
        sa.Column("warranty_end", sa.Date(), nullable=True),
        sa.Column("registered_by", sa.Text(), nullable=False),
        _timestamp("retired_at", nullable=True),
        sa.Column("version", sa.Integer(), server_default=sa.text("1"), nullable=False),
        _timestamp("created_at", now=True),
        _timestamp("updated_at", now=True),
        sa.CheckConstraint(
            NETBIOS.format(column="hostname"), name=op.f("ck_host_hostname_netbios")
        ),
        sa.CheckConstraint(
            "asset_tag ~ '^[A-Z0-9._-]+$'", name=op.f("ck_host_asset_tag_canonical")
        ),
        sa.CheckConstraint(
            "warranty_end >= purchase_date", name=op.f("ck_host_warranty_after_purchase")
        ),
        sa.ForeignKeyConstraint(
            ["site_id"], [f"{SCHEMA}.site.id"], name="fk_host_site_id_site", ondelete="RESTRICT"
        ),
        sa.ForeignKeyConstraint(
            ["room_id"], [f"{SCHEMA}.room.id"], name="fk_host_room_id_room", ondelete="RESTRICT"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_host"),
        sa.UniqueConstraint("asset_tag", name="uq_host_asset_tag"),
        schema=SCHEMA,
    )
    for column in ("site_id", "room_id", "serial"):
        op.create_index(f"ix_host_{column}", "host", [column], schema=SCHEMA)
    op.create_index(
        "uq_host_hostname_live",
        "host",
        ["hostname"],
        unique=True,
        schema=SCHEMA,
        postgresql_where=sa.text("status <> 'retired'"),
    )

    op.create_table(
        "host_mac",
        sa.Column("host_id", sa.UUID(), nullable=False),
        sa.Column("mac", sa.String(length=17), nullable=False),
        sa.CheckConstraint(
            "mac ~ '^[0-9A-F]{2}(:[0-9A-F]{2}){5}$'", name=op.f("ck_host_mac_mac_canonical")
        ),
        sa.ForeignKeyConstraint(
            ["host_id"], [f"{SCHEMA}.host.id"], name="fk_host_mac_host_id_host", ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("host_id", "mac", name="pk_host_mac"),
        schema=SCHEMA,
    )
    op.create_index("ix_host_mac_mac", "host_mac", ["mac"], schema=SCHEMA)

    op.create_table(
        "host_group_member",
        sa.Column("group_id", sa.UUID(), nullable=False),
        sa.Column("host_id", sa.UUID(), nullable=False),
        sa.ForeignKeyConstraint(
            ["group_id"],
            [f"{SCHEMA}.host_group.id"],
            name="fk_host_group_member_group_id_host_group",
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["host_id"],
            [f"{SCHEMA}.host.id"],
            name="fk_host_group_member_host_id_host",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("group_id", "host_id", name="pk_host_group_member"),
        schema=SCHEMA,
    )
    op.create_index("ix_host_group_member_host_id", "host_group_member", ["host_id"], schema=SCHEMA)

    op.create_table(
        "hostname",
        sa.Column("name", sa.String(length=15), nullable=False),
        sa.Column("host_id", sa.UUID(), nullable=False),
        _timestamp("reserved_at"),
        _timestamp("released_at", nullable=True),
        _timestamp("free_from", nullable=True),
        sa.CheckConstraint(NETBIOS.format(column="name"), name=op.f("ck_hostname_netbios")),
        sa.CheckConstraint(
            "(released_at IS NULL) = (free_from IS NULL)", name=op.f("ck_hostname_release_complete")
        ),
        sa.CheckConstraint("free_from >= released_at", name=op.f("ck_hostname_free_after_release")),
        sa.ForeignKeyConstraint(
            ["host_id"],
            [f"{SCHEMA}.host.id"],
            name="fk_hostname_host_id_host",
            ondelete="CASCADE",
            deferrable=True,
            initially="DEFERRED",
        ),
        sa.PrimaryKeyConstraint("name", name="pk_hostname"),
        schema=SCHEMA,
    )
    op.create_index(
        "uq_hostname_held_by_host",
        "hostname",
        ["host_id"],
        unique=True,
        schema=SCHEMA,
        postgresql_where=sa.text("released_at IS NULL"),
    )


def downgrade() -> None:
    op.drop_table("hostname", schema=SCHEMA)
    op.drop_table("host_group_member", schema=SCHEMA)
    op.drop_table("host_mac", schema=SCHEMA)
    op.drop_table("host", schema=SCHEMA)
    op.drop_table("naming_policy", schema=SCHEMA)
