"""One counter row per (kind, year): human references without gaps."""

from __future__ import annotations

from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from ticketing.db import Base


class ReferenceCounter(Base):
    __tablename__ = "reference_counter"

    kind: Mapped[str] = mapped_column(String(8), primary_key=True)
    year: Mapped[int] = mapped_column(primary_key=True)
    last_value: Mapped[int]
