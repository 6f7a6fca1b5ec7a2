from __future__ import annotations

import uuid

import asyncpg
import pytest
from sqlalchemy import select

from guichet_common.db import Database, driver_connection, insert_columns, libpq_dsn
from guichet_common.testing.bus import BusSchema

pytestmark = pytest.mark.integration


def _rows(keys: list[str]) -> dict[str, list[object]]:
    return {
        "id": [uuid.uuid4() for _ in keys],
        "routing_key": [f"test.thing.{key}.v1" for key in keys],
        "subject": [key if key != "b" else None for key in keys],
        "envelope": [f'{{"key": "{key}", "n": [1, 2]}}' for key in keys],
    }


async def _stored(bus_schema: BusSchema) -> list[tuple[object, ...]]:
    outbox = bus_schema.tables.outbox
    async with bus_schema.engine.connect() as conn:
        rows = await conn.execute(
            select(outbox.c.routing_key, outbox.c.subject, outbox.c.envelope).order_by(outbox.c.seq)
        )
        return [tuple(row) for row in rows]


@pytest.mark.parametrize("through", ["session", "asyncpg"])
async def test_column_inserts_write_the_same_rows_through_a_session_or_asyncpg(
    bus_schema: BusSchema, through: str
) -> None:
    async with bus_schema.session_factory() as session, session.begin():
        db: Database = session if through == "session" else await driver_connection(session)
        await insert_columns(db, bus_schema.tables.outbox, _rows(["a", "b", "c"]))
    assert await _stored(bus_schema) == [
        ("test.thing.a.v1", "a", {"key": "a", "n": [1, 2]}),
        ("test.thing.b.v1", None, {"key": "b", "n": [1, 2]}),
        ("test.thing.c.v1", "c", {"key": "c", "n": [1, 2]}),
    ]


async def test_the_driver_connection_is_inside_the_sessions_transaction(
    bus_schema: BusSchema,
) -> None:
    async with bus_schema.session_factory() as session:
        await insert_columns(
            await driver_connection(session), bus_schema.tables.outbox, _rows(["a"])
        )
        await session.rollback()
    assert await _stored(bus_schema) == []


async def test_too_long_strings_are_refused_not_truncated(
    bus_schema: BusSchema, test_database_url: str
) -> None:
    rows = _rows(["a"])
    rows["routing_key"] = ["x" * 201]  # the column is varchar(200)
    connection = await asyncpg.connect(libpq_dsn(test_database_url))
    try:
        with pytest.raises(asyncpg.StringDataRightTruncationError):
            await insert_columns(connection, bus_schema.tables.outbox, rows)
    finally:
        await connection.close()
    assert await _stored(bus_schema) == []
