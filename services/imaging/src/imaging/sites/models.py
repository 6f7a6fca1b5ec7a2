"""Sites (schools and offices), their rooms and their host groups."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any
from uuid import UUID

from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint, func, text
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from guichet_common.db import EnumText
from imaging.db import Base


class SiteKind(StrEnum):
    COLLEGE = "college"
    LYCEE = "lycee"
    DEPARTMENT_OFFICE = "department_office"


class RoomKind(StrEnum):
    CLASSROOM = "classroom"
    LAB = "lab"
    CDI = "cdi"
    OFFICE = "office"
    SERVER_ROOM = "server_room"


class Site(Base):
    __tablename__ = "site"
    __table_args__ = (
        # The code everyone types, unique whatever its case.
        Index("uq_site_code_folded", text("upper(code)"), unique=True),
    )

    id: Mapped[UUID] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(20))  # as typed; never changes
    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[SiteKind] = mapped_column(EnumText(SiteKind, 20))
    uai: Mapped[str | None] = mapped_column(String(8), unique=True)
    department: Mapped[str | None] = mapped_column(String(3))
    zone: Mapped[str] = mapped_column(String(1))
    address: Mapped[str | None] = mapped_column(Text)
    # [{"weekday": 0, "ranges": [{"start": "08:00", "end": "12:30"}, …]}, …]
    opening_hours: Mapped[list[dict[str, Any]]] = mapped_column(
        JSONB, server_default=text("'[]'::jsonb"), default=list
    )
    # [{"name", "role", "email", "phone"}, …]
    contacts: Mapped[list[dict[str, Any]]] = mapped_column(
        JSONB, server_default=text("'[]'::jsonb"), default=list
    )
    active: Mapped[bool] = mapped_column(server_default=text("true"), default=True)
    hostname_prefix: Mapped[str] = mapped_column(String(6))
    # The ETag: every UPDATE checks and bumps it; events carry it for consumers.
    version: Mapped[int] = mapped_column(server_default=text("1"))
    created_at: Mapped[datetime] = mapped_column(server_default=func.now())
    updated_at: Mapped[datetime] = mapped_column(server_default=func.now(), onupdate=func.now())

    __mapper_args__ = {"version_id_col": version, "eager_defaults": True}


class Room(Base):
    __tablename__ = "room"
    __table_args__ = (
        # A removed room frees its code: only live rooms are unique in their site.
        Index(
            "uq_room_live_code",
            "site_id",
            "code",
            unique=True,
            postgresql_where=text("removed_at IS NULL"),
        ),
    )

    id: Mapped[UUID] = mapped_column(primary_key=True)
    site_id: Mapped[UUID] = mapped_column(ForeignKey("site.id", ondelete="RESTRICT"))
    code: Mapped[str] = mapped_column(String(20))  # upper case: `b104` is `B104`
    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[RoomKind] = mapped_column(EnumText(RoomKind, 20))
    removed_at: Mapped[datetime | None]  # hosts keep their history; the room is gone
    version: Mapped[int] = mapped_column(server_default=text("1"))
    created_at: Mapped[datetime] = mapped_column(server_default=func.now())

    __mapper_args__ = {"version_id_col": version, "eager_defaults": True}


class HostGroup(Base):
    """Hosts that go together: a mobile classroom's laptops, a lab's PCs."""

    __tablename__ = "host_group"
    __table_args__ = (UniqueConstraint("site_id", "code"),)

    id: Mapped[UUID] = mapped_column(primary_key=True)
    site_id: Mapped[UUID] = mapped_column(ForeignKey("site.id", ondelete="RESTRICT"))
    code: Mapped[str] = mapped_column(String(40))  # upper case, like a room's
    name: Mapped[str] = mapped_column(String(200))
    version: Mapped[int] = mapped_column(server_default=text("1"))
    created_at: Mapped[datetime] = mapped_column(server_default=func.now())

    __mapper_args__ = {"version_id_col": version, "eager_defaults": True}
