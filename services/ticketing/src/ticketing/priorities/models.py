"""The priority matrix: one row, `cells[urgency - 1][impact - 1]` is the priority (1-5)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, String, func, text
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from ticketing.db import Base

# GLPI's default: rows are urgency 1-5, columns impact 1-5.
DEFAULT_MATRIX: list[list[int]] = [
    [1, 1, 2, 2, 2],
    [1, 2, 2, 3, 3],
    [2, 2, 3, 4, 4],
    [2, 3, 4, 4, 5],
    [2, 3, 4, 5, 5],
]


class PriorityMatrix(Base):
    __tablename__ = "priority_matrix"
    __table_args__ = (CheckConstraint("id = 1", name="single_row"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    cells: Mapped[list[list[int]]] = mapped_column(JSONB)
    updated_by: Mapped[str | None] = mapped_column(String(200))
    updated_at: Mapped[datetime] = mapped_column(server_default=func.now())
    # The ETag: every UPDATE checks and bumps it (SQLAlchemy's version counter).
    version: Mapped[int] = mapped_column(server_default=text("1"))

    __mapper_args__ = {"version_id_col": version, "eager_defaults": True}
