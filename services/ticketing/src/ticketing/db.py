"""The ticketing schema: this service's tables, and only this service's."""

from __future__ import annotations

from guichet_common.db import schema_metadata
from guichet_common.tables import define_plumbing_tables

SCHEMA = "ticketing"

metadata = schema_metadata(SCHEMA)
plumbing = define_plumbing_tables(metadata)
