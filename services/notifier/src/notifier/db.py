"""The notifier schema: this service's tables, and only this service's."""

from __future__ import annotations

from sqlalchemy.orm import DeclarativeBase

from guichet_common.db import TYPE_ANNOTATION_MAP, schema_metadata
from guichet_common.tables import define_plumbing_tables

SCHEMA = "notifier"


class Base(DeclarativeBase):
    """The notifier's mapped models."""

    metadata = schema_metadata(SCHEMA)
    type_annotation_map = TYPE_ANNOTATION_MAP


plumbing = define_plumbing_tables(Base.metadata)
