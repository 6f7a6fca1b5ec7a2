"""Hosts (the park's PCs, laptops, printers…), their MAC addresses and their groups.

A host's `hostname` is the name it holds in the register (`naming.models.Hostname`), or,
once retired, the name it had last. Its own CHECK keeps it a valid NetBIOS name in upper
case, and a partial unique index keeps two hosts in service from carrying the same one
(the register keeps a retired host's name from being taken during its quarantine)."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum
from uuid import UUID

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, Text, func, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from guichet_common.db import EnumText
from imaging.db import Base
from imaging.naming.models import (
    ASSET_TAG_MAX_LENGTH,
    HOSTNAME_MAX_LENGTH,
    NETBIOS_CHECK,
    HostKind,
    Network,
)
from imaging.normalisation import ascii_upper
from imaging.sites.models import HostGroup, Room, Site

ASSET_TAG_CHECK = "asset_tag ~ '^[A-Z0-9._-]+$'"
SERIAL_MAX_LENGTH = 100
MAC_CHECK = "mac ~ '^[0-9A-F]{2}(:[0-9A-F]{2}){5}$'"


def fold_asset_tag(raw: str) -> str:
    """An asset tag as stored: trimmed, accents removed, upper case (`gpi-0042` →
    `GPI-0042`)."""
    return ascii_upper(raw.strip())


def fold_serial(raw: str) -> str:
    """A serial number as stored and matched: trimmed, upper case."""
    return raw.strip().upper()


class HostStatus(StrEnum):
    IN_SERVICE = "in_service"
    IN_REPAIR = "in_repair"
    STORED = "stored"
    RETIRED = "retired"


class HostMac(Base):
    """One of a host's MAC addresses (`00:1A:2B:3C:4D:5E`). The same address may be on
    several hosts (a USB adapter, a dock moved from desk to desk): it is indexed for
    matching, not unique."""

    __tablename__ = "host_mac"
    __table_args__ = (
        CheckConstraint(MAC_CHECK, name="mac_canonical"),
        Index("ix_host_mac_mac", "mac"),
    )

    host_id: Mapped[UUID] = mapped_column(
        ForeignKey("host.id", ondelete="CASCADE"), primary_key=True
    )
    mac: Mapped[str] = mapped_column(String(17), primary_key=True)


class HostGroupMember(Base):
    __tablename__ = "host_group_member"
    __table_args__ = (Index("ix_host_group_member_host_id", "host_id"),)

    group_id: Mapped[UUID] = mapped_column(
        ForeignKey("host_group.id", ondelete="CASCADE"), primary_key=True
    )
    host_id: Mapped[UUID] = mapped_column(
        ForeignKey("host.id", ondelete="CASCADE"), primary_key=True
    )


class Host(Base):
    __tablename__ = "host"
    __table_args__ = (
        CheckConstraint(NETBIOS_CHECK.format(column="hostname"), name="hostname_netbios"),
        CheckConstraint(ASSET_TAG_CHECK, name="asset_tag_canonical"),
        CheckConstraint("warranty_end >= purchase_date", name="warranty_after_purchase"),
        Index("ix_host_site_id", "site_id"),
        Index("ix_host_room_id", "room_id"),
        Index("ix_host_serial", "serial"),
        Index(
            "uq_host_hostname_live",
            "hostname",
            unique=True,
            postgresql_where=text("status <> 'retired'"),
        ),
    )

    id: Mapped[UUID] = mapped_column(primary_key=True)
    site_id: Mapped[UUID] = mapped_column(ForeignKey("site.id", ondelete="RESTRICT"))
    room_id: Mapped[UUID | None] = mapped_column(ForeignKey("room.id", ondelete="RESTRICT"))
    # The "GPI" label, upper case: unique whatever case it was typed in.
    asset_tag: Mapped[str] = mapped_column(String(ASSET_TAG_MAX_LENGTH), unique=True)
    hostname: Mapped[str] = mapped_column(String(HOSTNAME_MAX_LENGTH))
    serial: Mapped[str | None] = mapped_column(String(SERIAL_MAX_LENGTH))
    make: Mapped[str | None] = mapped_column(String(100))
    model: Mapped[str | None] = mapped_column(String(100))
    kind: Mapped[HostKind] = mapped_column(EnumText(HostKind, 20))
    network: Mapped[Network] = mapped_column(EnumText(Network, 10))
    status: Mapped[HostStatus] = mapped_column(EnumText(HostStatus, 12))
    purchase_date: Mapped[date | None]
    warranty_end: Mapped[date | None]
    registered_by: Mapped[str] = mapped_column(Text)  # who registered it (`actor`)
    retired_at: Mapped[datetime | None]
    # The ETag: every UPDATE checks and bumps it; events carry it for consumers.
    version: Mapped[int] = mapped_column(server_default=text("1"))
    created_at: Mapped[datetime] = mapped_column(server_default=func.now())
    updated_at: Mapped[datetime] = mapped_column(server_default=func.now(), onupdate=func.now())

    # Loaded with the host, in the same query (site, room) or one more per batch of hosts
    # (MACs, groups): what every answer and event shows, without a query per host.
    site: Mapped[Site] = relationship(lazy="joined", innerjoin=True)
    room: Mapped[Room | None] = relationship(lazy="joined")
    macs: Mapped[list[HostMac]] = relationship(
        lazy="selectin", cascade="all, delete-orphan", order_by=HostMac.mac
    )
    groups: Mapped[list[HostGroup]] = relationship(
        secondary=HostGroupMember.__table__, lazy="selectin", order_by=HostGroup.code
    )

    __mapper_args__ = {"version_id_col": version, "eager_defaults": True}
