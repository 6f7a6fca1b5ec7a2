"""Categories form a tree (`parent_code`); each may ask its own intake fields and carry the
checklist its tickets start with."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, String, func, text
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from ticketing.db import Base


class Category(Base):
    __tablename__ = "category"

    code: Mapped[str] = mapped_column(String(40), primary_key=True)
    parent_code: Mapped[str | None] = mapped_column(
        ForeignKey("category.code", ondelete="RESTRICT"), index=True
    )
    label: Mapped[str] = mapped_column(String(120))
    # Shown on the intake form under the category (French).
    help_text: Mapped[str | None] = mapped_column(String(1000))
    # The fields this category asks: [{key, label, kind: text|choice|choices, choices,
    # required, help}] (schemas.CategoryField).
    fields: Mapped[list[dict[str, Any]]] = mapped_column(JSONB, server_default=text("'[]'"))
    # The tasks a new ticket of this category starts with: [{label, position}].
    task_template: Mapped[list[dict[str, Any]]] = mapped_column(JSONB, server_default=text("'[]'"))
    active: Mapped[bool] = mapped_column(server_default=text("true"))
    position: Mapped[int] = mapped_column(server_default=text("0"))
    created_at: Mapped[datetime] = mapped_column(server_default=func.now())
    # The ETag: every UPDATE checks and bumps it (SQLAlchemy's version counter).
    version: Mapped[int] = mapped_column(server_default=text("1"))

    __mapper_args__ = {"version_id_col": version, "eager_defaults": True}
