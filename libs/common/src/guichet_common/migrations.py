"""Alembic glue shared by the services' `migrations/env.py`: one schema, its own version table."""

from __future__ import annotations

import asyncio
from typing import Any

from alembic import context
from sqlalchemy import Connection, MetaData, text
from sqlalchemy.ext.asyncio import create_async_engine

from guichet_common.db import schema_metadata
from guichet_common.settings import CommonSettings, asyncpg_url
from guichet_common.tables import define_plumbing_tables


def run_migrations(metadata: MetaData, settings: CommonSettings) -> None:
    """Body of every service's env.py. The URL comes from the caller (`guichet migrate`,
    the test harness) through `config.attributes["database_url"]`, else from settings."""
    schema = metadata.schema
    assert schema is not None
    url = context.config.attributes.get("database_url") or settings.require_database_url()

    def include_name(name: str | None, type_: str, _parents: Any) -> bool:
        return name == schema if type_ == "schema" else True

    options: dict[str, Any] = {
        "target_metadata": metadata,
        "include_schemas": True,
        "include_name": include_name,
        "version_table_schema": schema,
    }
    if context.is_offline_mode():
        context.configure(url=asyncpg_url(url), literal_binds=True, **options)
        with context.begin_transaction():
            context.run_migrations()
        return

    def run_sync(connection: Connection) -> None:
        # Only when missing: CREATE SCHEMA checks the database-level CREATE privilege even
        # with IF NOT EXISTS, and a least-privilege role owns its pre-made schema only.
        exists = connection.scalar(
            text("SELECT 1 FROM pg_namespace WHERE nspname = :schema"), {"schema": schema}
        )
        if not exists:
            connection.execute(text(f'CREATE SCHEMA "{schema}"'))
        context.configure(connection=connection, **options)
        with context.begin_transaction():
            context.run_migrations()

    async def run_async() -> None:
        engine = create_async_engine(asyncpg_url(url))
        try:
            async with engine.begin() as connection:
                await connection.run_sync(run_sync)
        finally:
            await engine.dispose()

    asyncio.run(run_async())


def create_plumbing_tables(connection: Connection, schema: str) -> None:
    """Used by each service's first migration: outbox, processed_event, idempotency_key,
    api_key. A later change to these tables gets its own migration in every service."""
    metadata = schema_metadata(schema)
    define_plumbing_tables(metadata)
    metadata.create_all(connection)


def drop_plumbing_tables(connection: Connection, schema: str) -> None:
    metadata = schema_metadata(schema)
    define_plumbing_tables(metadata)
    metadata.drop_all(connection)
