"""Each service's migrations go up, down and up again, and leave its schema exactly as its
models describe it: every table, column, type, default, index and constraint of the
service's metadata (its mapped models and the plumbing tables). A model changed without a
migration, or a migration without the model, fails here."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import Connection, MetaData
from sqlalchemy.ext.asyncio import create_async_engine

from guichet.services import SERVICES, ServiceEntry

pytestmark = pytest.mark.integration


def schema_differences(connection: Connection, metadata: MetaData) -> list[Any]:
    schema = metadata.schema

    def include_name(name: str | None, kind: str, _parents: Any) -> bool:
        if kind == "schema":
            return name == schema
        return name != "alembic_version"

    context = MigrationContext.configure(
        connection,
        opts={
            "include_schemas": True,
            "compare_type": True,
            "compare_server_default": True,
            "include_name": include_name,
        },
    )
    return list(compare_metadata(context, metadata))


@pytest.mark.parametrize("entry", SERVICES, ids=lambda e: e.name)
async def test_migrations_round_trip_and_match_the_models(
    entry: ServiceEntry, test_database_url: str
) -> None:
    config = entry.alembic_config(test_database_url)
    await asyncio.to_thread(command.upgrade, config, "head")
    await asyncio.to_thread(command.downgrade, config, "base")
    await asyncio.to_thread(command.upgrade, config, "head")
    engine = create_async_engine(test_database_url)
    try:
        async with engine.connect() as conn:
            metadata = entry.definition().metadata
            assert await conn.run_sync(schema_differences, metadata) == []
    finally:
        await engine.dispose()
