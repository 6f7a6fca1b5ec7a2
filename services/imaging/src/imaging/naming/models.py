"""Naming policies, the register of hostnames, and what a valid hostname is.

A hostname is a NetBIOS computer name as the domain takes it: 1 to 15 characters, ASCII
letters A-Z (upper case), digits and hyphens, not digits only, no hyphen at either end.
What people type is folded first (`Chécy` → `CHECY`). `netbios_problem` is the one rule,
used by the API and the allocator; the register's CHECK constraint says the same in SQL.

The register (`hostname`) keeps one row per name, its primary key: the row lives while a
host holds the name and while the name is in quarantine after the host let it go
(renamed, retired), and is taken over by the next host once `free_from` has passed. Its
CHECK keeps every name canonical (upper case), so the primary key is case-insensitive:
`pc-01` and `PC-01` cannot both be there, and two hosts cannot reserve one name, held or
quarantined. A partial unique index lets a host hold one name at a time."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from uuid import UUID

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, UniqueConstraint, func, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from guichet_common.db import EnumText
from imaging.db import Base
from imaging.normalisation import NETBIOS_CHARACTERS, ascii_upper
from imaging.sites.models import Site

HOSTNAME_MAX_LENGTH = 15
TEMPLATE_MAX_LENGTH = 60
# Asset tags ("GPI" labels) are at most this long, so that `{net}{asset}` or `{kind}{asset}`
# fit in a hostname (the host's column is this long).
ASSET_TAG_MAX_LENGTH = 12

# The same rule in SQL, for the CHECK constraints of the register and of the hosts: upper
# case, letters, digits and hyphens, 1 to 15, no hyphen at either end, not digits only.
NETBIOS_CHECK = "{column} ~ '^[A-Z0-9]([A-Z0-9-]{{0,13}}[A-Z0-9])?$' AND {column} !~ '^[0-9]+$'"


def fold_hostname(raw: str) -> str:
    """What a person typed, as the domain spells it: trimmed, accents removed, upper case
    (`chécy-pc01` → `CHECY-PC01`). Other characters are left for `netbios_problem`."""
    return ascii_upper(raw.strip())


def netbios_problem(name: str) -> str | None:
    """Why `name` (already folded) is not a valid hostname, or None when it is."""
    if not name:
        return "must not be empty"
    if len(name) > HOSTNAME_MAX_LENGTH:
        return f"at most {HOSTNAME_MAX_LENGTH} characters (a NetBIOS name), not {len(name)}"
    wrong = sorted(set(name) - NETBIOS_CHARACTERS)
    if wrong:
        return f"letters A-Z, digits and hyphens only, not {''.join(wrong)!r}"
    if name.isdigit():
        return "must not be digits only"
    if name.startswith("-") or name.endswith("-"):
        return "must not start or end with a hyphen"
    return None


def netbios_name(raw: str) -> str:
    """`raw` folded, if it is a valid hostname; ValueError saying why otherwise."""
    name = fold_hostname(raw)
    problem = netbios_problem(name)
    if problem is not None:
        raise ValueError(f"{name!r} is not a valid hostname: {problem}")
    return name


class HostKind(StrEnum):
    """The kinds of hosts the park holds; policies may name each kind its own way."""

    DESKTOP = "desktop"
    LAPTOP = "laptop"
    TABLET = "tablet"
    COPIER = "copier"
    PRINTER = "printer"
    SERVER = "server"
    NETWORK_DEVICE = "network_device"


class Network(StrEnum):
    """The network a host is on: the school's administration, or its classrooms."""

    ADMIN = "admin"
    PEDAGOGY = "pedagogy"


class NamingPolicy(Base):
    """How hosts of a site (or of every site without a policy of its own: `site_id` null)
    and of a kind (or of every kind: `host_kind` null) are named. The default policy (both
    null) always exists: it is seeded by the migration and cannot be deleted."""

    __tablename__ = "naming_policy"
    __table_args__ = (
        # One policy per (site, kind), the default and the "any kind" ones included.
        UniqueConstraint("site_id", "host_kind", postgresql_nulls_not_distinct=True),
    )

    id: Mapped[UUID] = mapped_column(primary_key=True)
    site_id: Mapped[UUID | None] = mapped_column(ForeignKey("site.id", ondelete="CASCADE"))
    host_kind: Mapped[HostKind | None] = mapped_column(EnumText(HostKind, 20))
    template: Mapped[str] = mapped_column(String(TEMPLATE_MAX_LENGTH))
    # The ETag: every UPDATE checks and bumps it.
    version: Mapped[int] = mapped_column(server_default=text("1"))
    created_at: Mapped[datetime] = mapped_column(server_default=func.now())
    updated_at: Mapped[datetime] = mapped_column(server_default=func.now(), onupdate=func.now())

    site: Mapped[Site | None] = relationship(lazy="joined")

    __mapper_args__ = {"version_id_col": version, "eager_defaults": True}

    @property
    def is_default(self) -> bool:
        return self.site_id is None and self.host_kind is None


class Hostname(Base):
    """A name reserved by a host: held (`released_at` null), or in quarantine until
    `free_from` after the host let it go. One row per name, whatever its state."""

    __tablename__ = "hostname"
    __table_args__ = (
        CheckConstraint(NETBIOS_CHECK.format(column="name"), name="netbios"),
        CheckConstraint("(released_at IS NULL) = (free_from IS NULL)", name="release_complete"),
        CheckConstraint("free_from >= released_at", name="free_after_release"),
        # A host holds one name at a time (the ones it let go may still be quarantined).
        Index(
            "uq_hostname_held_by_host",
            "host_id",
            unique=True,
            postgresql_where=text("released_at IS NULL"),
        ),
    )

    name: Mapped[str] = mapped_column(String(HOSTNAME_MAX_LENGTH), primary_key=True)
    # Deferred: a new host reserves its name before its own row is written.
    host_id: Mapped[UUID] = mapped_column(
        ForeignKey("host.id", ondelete="CASCADE", deferrable=True, initially="DEFERRED")
    )
    reserved_at: Mapped[datetime]
    released_at: Mapped[datetime | None]
    free_from: Mapped[datetime | None]
