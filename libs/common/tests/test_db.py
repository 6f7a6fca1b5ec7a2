from __future__ import annotations

import uuid

import asyncpg
import pytest
from sqlalchemy import select

from guichet_common.db import Rows, insert_rows, libpq_dsn
from guichet_common.testing.bus import BusSchema

pytestmark = pytest.mark.integration


def _outbox_rows(bus_schema: BusSchema, keys: list[str]) -> Rows:
    return Rows(
        bus_schema.tables.outbox,
        {
            "id": [uuid.uuid4() for _ in keys],
            "routing_key": [f"test.thing.{key}.v1" for key in keys],
            "subject": [key if key != "b" else None for key in keys],
            "envelope": [f'{{"key": "{key}", "n": [1, 2]}}' for key in keys],
        },
    )


async def _stored(bus_schema: BusSchema) -> list[tuple[object, ...]]:
    outbox = bus_schema.tables.outbox
    async with bus_schema.engine.connect() as conn:
        rows = await conn.execute(
            select(outbox.c.routing_key, outbox.c.subject, outbox.c.envelope).order_by(outbox.c.seq)
        )
        return [tuple(row) for row in rows]


@pytest.mark.parametrize("through", ["session", "asyncpg"])
async def test_rows_of_several_tables_in_one_statement_through_a_session_or_asyncpg(
    bus_schema: BusSchema, test_database_url: str, through: str
) -> None:
    event_id = uuid.uuid4()
    batches = [
        _outbox_rows(bus_schema, ["a", "b"]),
        Rows(bus_schema.effect, {"event_id": [event_id], "handler": ["h"]}),
        _outbox_rows(bus_schema, ["c"]),  # the same table twice: no parameter clash
    ]
    if through == "session":
        async with bus_schema.session_factory() as session, session.begin():
            await insert_rows(session, *batches)
    else:
        connection = await asyncpg.connect(libpq_dsn(test_database_url))
        try:
            async with connection.transaction():
                await insert_rows(connection, *batches)
        finally:
            await connection.close()
    assert sorted(await _stored(bus_schema), key=lambda row: str(row[0])) == [
        ("test.thing.a.v1", "a", {"key": "a", "n": [1, 2]}),
        ("test.thing.b.v1", None, {"key": "b", "n": [1, 2]}),
        ("test.thing.c.v1", "c", {"key": "c", "n": [1, 2]}),
    ]
    assert await bus_schema.effects() == {event_id: 1}


async def test_too_long_strings_are_refused_not_truncated(
    bus_schema: BusSchema, test_database_url: str
) -> None:
    rows = _outbox_rows(bus_schema, ["a"])
    too_long = Rows(rows.table, {**rows.columns, "routing_key": ["x" * 201]})  # varchar(200)
    connection = await asyncpg.connect(libpq_dsn(test_database_url))
    try:
        with pytest.raises(asyncpg.StringDataRightTruncationError):
            await insert_rows(connection, too_long)
    finally:
        await connection.close()
    assert await _stored(bus_schema) == []


def test_columns_of_unequal_lengths_are_refused(bus_schema: BusSchema) -> None:
    # unnest() would pad the shorter one with NULLs.
    with pytest.raises(ValueError, match="unequal"):
        Rows(bus_schema.effect, {"event_id": [uuid.uuid4(), uuid.uuid4()], "handler": ["h"]})
