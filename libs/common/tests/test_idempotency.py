"""Idempotency-Key on a real PostgreSQL: replays, concurrent twins, a key left without answer."""

from __future__ import annotations

import asyncio

import pytest

from guichet_common.idempotency import (
    IdempotencyKeyReused,
    IdempotentRequestInProgress,
    begin_idempotent,
)
from guichet_common.testing.bus import BusSchema

pytestmark = pytest.mark.integration


async def test_without_a_key_nothing_is_claimed(bus_schema: BusSchema) -> None:
    async with bus_schema.session_factory() as session, session.begin():
        request = await begin_idempotent(session, bus_schema.tables, "cars", None, {"x": 1})
        assert request.replay is None
        await request.complete(session, 201, {"id": 1})
    async with bus_schema.engine.connect() as conn:
        table = bus_schema.tables.idempotency_key
        assert (await conn.execute(table.select())).all() == []


async def test_idempotency_key_replays_the_first_response(bus_schema: BusSchema) -> None:
    tables, factory = bus_schema.tables, bus_schema.session_factory
    payload = {"plate": "AB-123-CD"}
    async with factory() as first, first.begin():
        request = await begin_idempotent(first, tables, "cars", "key-1", payload)
        assert request.replay is None
        await request.complete(
            first,
            201,
            {"number": "DEM-2026-0001"},
            headers={"ETag": '"1"', "Location": "/requests/DEM-2026-0001"},
        )

    async with factory() as again, again.begin():
        replay = (await begin_idempotent(again, tables, "cars", "key-1", payload)).replay
        assert replay is not None and replay.status_code == 201
        assert replay.body == b'{"number":"DEM-2026-0001"}'
        assert replay.headers["etag"] == '"1"'
        assert replay.headers["location"] == "/requests/DEM-2026-0001"
        assert replay.headers["idempotent-replayed"] == "true"
        other_client = await begin_idempotent(
            again, tables, "cars", "key-1", payload, owner="someone-else"
        )
        assert other_client.replay is None, "another client's key is not ours to replay"
        with pytest.raises(IdempotencyKeyReused):
            await begin_idempotent(again, tables, "cars", "key-1", {"plate": "other"})


async def test_concurrent_twin_waits_and_gets_the_first_response(bus_schema: BusSchema) -> None:
    tables, factory = bus_schema.tables, bus_schema.session_factory
    async with factory() as first, first.begin():
        request = await begin_idempotent(first, tables, "cars", "key-2", {})
        twin_session = factory()
        async with twin_session, twin_session.begin():
            twin = asyncio.create_task(begin_idempotent(twin_session, tables, "cars", "key-2", {}))
            await asyncio.sleep(0.3)
            assert not twin.done(), "the twin must wait for the first request's transaction"
            await request.complete(first, 201, {"id": 1})
            await first.commit()
            replay = (await twin).replay
            assert replay is not None and replay.body == b'{"id":1}'


async def test_a_claimed_key_without_response_is_in_progress(bus_schema: BusSchema) -> None:
    async with bus_schema.session_factory() as first, first.begin():
        await begin_idempotent(first, bus_schema.tables, "cars", "key-3", {})
    async with bus_schema.session_factory() as again, again.begin():
        with pytest.raises(IdempotentRequestInProgress):
            await begin_idempotent(again, bus_schema.tables, "cars", "key-3", {})
