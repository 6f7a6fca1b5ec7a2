"""Alembic glue shared by the services' `migrations/env.py`: one schema, its own version table."""

from __future__ import annotations

import asyncio
from typing import Any

from alembic import context
from sqlalchemy import Connection, MetaData, text
from sqlalchemy.ext.asyncio import create_async_engine

from guichet_common.settings import CommonSettings, asyncpg_url


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


# Frozen: what revision 0001 of every service creates. `tables.py` describes the current
# shape; a change there needs a new migration in each service, never an edit here (a database
# migrated by the old 0001 would not get it). tests/integration/test_migrations.py checks
# that the migrated schema still matches `tables.py`.
PLUMBING_V1 = (
    """CREATE TABLE "{schema}".api_key (
        key_id VARCHAR(32) NOT NULL,
        name VARCHAR(200) NOT NULL,
        secret_hash VARCHAR(64) NOT NULL,
        scopes VARCHAR(100)[] DEFAULT '{{}}' NOT NULL,
        created_at TIMESTAMP WITH TIME ZONE DEFAULT now() NOT NULL,
        last_used_at TIMESTAMP WITH TIME ZONE,
        revoked_at TIMESTAMP WITH TIME ZONE,
        CONSTRAINT pk_api_key PRIMARY KEY (key_id))""",
    """CREATE TABLE "{schema}".idempotency_key (
        scope VARCHAR(200) NOT NULL,
        key VARCHAR(200) NOT NULL,
        request_hash VARCHAR(64) NOT NULL,
        status_code INTEGER,
        response JSONB,
        created_at TIMESTAMP WITH TIME ZONE DEFAULT now() NOT NULL,
        CONSTRAINT pk_idempotency_key PRIMARY KEY (scope, key))""",
    """CREATE TABLE "{schema}".outbox (
        id UUID NOT NULL,
        seq BIGINT GENERATED ALWAYS AS IDENTITY,
        routing_key VARCHAR(200) NOT NULL,
        subject VARCHAR(200),
        envelope JSONB NOT NULL,
        created_at TIMESTAMP WITH TIME ZONE DEFAULT now() NOT NULL,
        published_at TIMESTAMP WITH TIME ZONE,
        attempts INTEGER DEFAULT 0 NOT NULL,
        last_error TEXT,
        CONSTRAINT pk_outbox PRIMARY KEY (id),
        CONSTRAINT uq_outbox_seq UNIQUE (seq))""",
    'CREATE INDEX ix_outbox_published_at ON "{schema}".outbox (published_at)',
    'CREATE INDEX ix_outbox_unpublished ON "{schema}".outbox (seq) WHERE published_at IS NULL',
    """CREATE FUNCTION "{schema}".outbox_notify() RETURNS trigger LANGUAGE plpgsql
        AS $$ BEGIN PERFORM pg_notify('{schema}_outbox', ''); RETURN NULL; END $$""",
    """CREATE TRIGGER outbox_notify AFTER INSERT ON "{schema}".outbox
        FOR EACH STATEMENT EXECUTE FUNCTION "{schema}".outbox_notify()""",
    """CREATE TABLE "{schema}".processed_event (
        consumer VARCHAR(200) NOT NULL,
        event_id UUID NOT NULL,
        event_type VARCHAR(200) NOT NULL,
        processed_at TIMESTAMP WITH TIME ZONE DEFAULT now() NOT NULL,
        CONSTRAINT pk_processed_event PRIMARY KEY (consumer, event_id))""",
)


# Frozen: revision 0002 of every service's plumbing. API keys get the sites they are limited
# to and a version (their ETag: revoking one needs If-Match).
PLUMBING_V2 = (
    """ALTER TABLE "{schema}".api_key
        ADD COLUMN sites VARCHAR(32)[] DEFAULT '{{}}' NOT NULL,
        ADD COLUMN version INTEGER DEFAULT 1 NOT NULL""",
)
PLUMBING_V2_DOWN = ('ALTER TABLE "{schema}".api_key DROP COLUMN sites, DROP COLUMN version',)


# Frozen: revision 3 of every service's plumbing. An outbox row the bus keeps refusing is
# retried later (`retry_at`), then set aside (`set_aside_at`) so the rows behind it flow.
PLUMBING_V3 = (
    """ALTER TABLE "{schema}".outbox
        ADD COLUMN retry_at TIMESTAMP WITH TIME ZONE,
        ADD COLUMN set_aside_at TIMESTAMP WITH TIME ZONE""",
    'DROP INDEX "{schema}".ix_outbox_unpublished',
    """CREATE INDEX ix_outbox_unpublished ON "{schema}".outbox (seq)
        WHERE published_at IS NULL AND set_aside_at IS NULL""",
)
PLUMBING_V3_DOWN = (
    'DROP INDEX "{schema}".ix_outbox_unpublished',
    'ALTER TABLE "{schema}".outbox DROP COLUMN retry_at, DROP COLUMN set_aside_at',
    'CREATE INDEX ix_outbox_unpublished ON "{schema}".outbox (seq) WHERE published_at IS NULL',
)


def create_plumbing_tables(connection: Connection, schema: str) -> None:
    """Revision 0001 of every service: outbox, processed_event, idempotency_key, api_key."""
    for statement in PLUMBING_V1:
        connection.execute(text(statement.format(schema=schema)))


def drop_plumbing_tables(connection: Connection, schema: str) -> None:
    for table in ("processed_event", "outbox", "idempotency_key", "api_key"):
        connection.execute(text(f'DROP TABLE "{schema}".{table}'))
    connection.execute(text(f'DROP FUNCTION "{schema}".outbox_notify()'))


def upgrade_plumbing_v2(connection: Connection, schema: str) -> None:
    for statement in PLUMBING_V2:
        connection.execute(text(statement.format(schema=schema)))


def downgrade_plumbing_v2(connection: Connection, schema: str) -> None:
    for statement in PLUMBING_V2_DOWN:
        connection.execute(text(statement.format(schema=schema)))


def upgrade_plumbing_v3(connection: Connection, schema: str) -> None:
    for statement in PLUMBING_V3:
        connection.execute(text(statement.format(schema=schema)))


def downgrade_plumbing_v3(connection: Connection, schema: str) -> None:
    for statement in PLUMBING_V3_DOWN:
        connection.execute(text(statement.format(schema=schema)))
