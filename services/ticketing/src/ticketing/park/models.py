"""The read model's rows: what a ticket needs of a site, a room, a host. Each carries the
version of imaging's row it was built from; an older or repeated event changes nothing."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

from sqlalchemy import Index, String, func, text
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from ticketing.db import Base


class ParkSite(Base):
    __tablename__ = "park_site"
    __table_args__ = (Index("uq_park_site_code", text("upper(code)"), unique=True),)

    site_id: Mapped[UUID] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(20))
    name: Mapped[str] = mapped_column(String(200))
    kind_label: Mapped[str] = mapped_column(String(60))
    department: Mapped[str | None] = mapped_column(String(3))
    zone: Mapped[str] = mapped_column(String(1))
    # Where a technician drives to (the agenda, the visit's calendar entry).
    address: Mapped[str | None] = mapped_column(String(300))
    opening_hours: Mapped[list[dict[str, Any]]] = mapped_column(JSONB)
    contacts: Mapped[list[dict[str, Any]]] = mapped_column(JSONB)
    active: Mapped[bool]
    version: Mapped[int]
    received_at: Mapped[datetime] = mapped_column(server_default=func.now())


class ParkRoom(Base):
    __tablename__ = "park_room"
    __table_args__ = (Index("ix_park_room_site_code", "site_code", "room_code"),)

    room_id: Mapped[UUID] = mapped_column(primary_key=True)
    site_code: Mapped[str] = mapped_column(String(20))
    room_code: Mapped[str] = mapped_column(String(20))
    name: Mapped[str] = mapped_column(String(200))
    kind_label: Mapped[str] = mapped_column(String(60))
    removed: Mapped[bool]
    version: Mapped[int]
    received_at: Mapped[datetime] = mapped_column(server_default=func.now())


class ParkHost(Base):
    __tablename__ = "park_host"
    __table_args__ = (Index("ix_park_host_asset_tag", text("upper(asset_tag)")),)

    host_id: Mapped[UUID] = mapped_column(primary_key=True)
    site_code: Mapped[str] = mapped_column(String(20))
    room_code: Mapped[str | None] = mapped_column(String(20))
    asset_tag: Mapped[str] = mapped_column(String(40))
    hostname: Mapped[str] = mapped_column(String(15))
    make: Mapped[str | None] = mapped_column(String(100))
    model: Mapped[str | None] = mapped_column(String(100))
    kind_label: Mapped[str] = mapped_column(String(60))
    status: Mapped[str] = mapped_column(String(12))
    version: Mapped[int]
    received_at: Mapped[datetime] = mapped_column(server_default=func.now())
