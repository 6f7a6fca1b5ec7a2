"""One counter row per (kind, year): human references without gaps."""

from __future__ import annotations

from sqlalchemy import Column, Integer, PrimaryKeyConstraint, String, Table

from garage.db import metadata

reference_counter = Table(
    "reference_counter",
    metadata,
    Column("kind", String(8), nullable=False),
    Column("year", Integer, nullable=False),
    Column("last_value", Integer, nullable=False),
    PrimaryKeyConstraint("kind", "year"),
)
