"""The people tickets are assigned to: technicians (by login, the token's `sub`) and the
support groups they belong to."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import String, func, text
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm import Mapped, mapped_column

from ticketing.db import Base


class SupportGroup(Base):
    __tablename__ = "support_group"

    code: Mapped[str] = mapped_column(String(40), primary_key=True)
    name: Mapped[str] = mapped_column(String(120))
    email: Mapped[str | None] = mapped_column(String(254))
    active: Mapped[bool] = mapped_column(server_default=text("true"))
    created_at: Mapped[datetime] = mapped_column(server_default=func.now())
    version: Mapped[int] = mapped_column(server_default=text("1"))

    __mapper_args__ = {"version_id_col": version, "eager_defaults": True}


class Technician(Base):
    __tablename__ = "technician"

    login: Mapped[str] = mapped_column(String(200), primary_key=True)
    name: Mapped[str] = mapped_column(String(120))
    email: Mapped[str] = mapped_column(String(254))
    phone: Mapped[str | None] = mapped_column(String(30))
    group_codes: Mapped[list[str]] = mapped_column(ARRAY(String(40)), server_default=text("'{}'"))
    active: Mapped[bool] = mapped_column(server_default=text("true"))
    created_at: Mapped[datetime] = mapped_column(server_default=func.now())
    version: Mapped[int] = mapped_column(server_default=text("1"))

    __mapper_args__ = {"version_id_col": version, "eager_defaults": True}
