"""Each service's migrations go up, down and up again, and leave the plumbing tables exactly
as `guichet_common.tables` describes them (so a change there without a migration fails)."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import Connection, Table
from sqlalchemy.ext.asyncio import create_async_engine

from guichet.services import SERVICES, ServiceEntry
from guichet_common.db import schema_metadata
from guichet_common.tables import define_plumbing_tables

pytestmark = pytest.mark.integration


def plumbing_differences(connection: Connection, schema: str) -> list[Any]:
    metadata = schema_metadata(schema)
    plumbing = {
        table.name
        for table in define_plumbing_tables(metadata).__dict__.values()
        if isinstance(table, Table)
    }

    def include_object(obj: Any, _name: str | None, kind: str, *_args: Any) -> bool:
        table = obj if kind == "table" else getattr(obj, "table", None)
        return table is not None and table.name in plumbing

    def include_name(name: str | None, kind: str, _parents: Any) -> bool:
        return name == schema if kind == "schema" else True

    context = MigrationContext.configure(
        connection,
        opts={
            "include_schemas": True,
            "compare_type": True,
            "compare_server_default": True,
            "include_name": include_name,
            "include_object": include_object,
        },
    )
    return list(compare_metadata(context, metadata))


@pytest.mark.parametrize("entry", SERVICES, ids=lambda e: e.name)
async def test_migrations_round_trip_and_match_the_plumbing_tables(
    entry: ServiceEntry, test_database_url: str
) -> None:
    config = entry.alembic_config(test_database_url)
    await asyncio.to_thread(command.upgrade, config, "head")
    await asyncio.to_thread(command.downgrade, config, "base")
    await asyncio.to_thread(command.upgrade, config, "head")
    engine = create_async_engine(test_database_url)
    try:
        async with engine.connect() as conn:
            assert await conn.run_sync(plumbing_differences, entry.name) == []
    finally:
        await engine.dispose()
