from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import httpx
import pytest
from fastapi import FastAPI
from pydantic import BaseModel, Field

from guichet_common.http import (
    Conflict,
    CorrelationIdMiddleware,
    IdempotencyKeyReused,
    IdempotentRequestInProgress,
    InvalidInput,
    PreconditionFailed,
    PreconditionRequired,
    begin_idempotent,
    check_if_match,
    decode_cursor,
    encode_cursor,
    etag_for,
    install_problem_handlers,
)
from guichet_common.logging import correlation_id_var
from guichet_common.testing.bus import BusSchema


class Plate(BaseModel):
    plate: str = Field(pattern=r"^[A-Z]{2}-\d{3}-[A-Z]{2}$")
    mileage_km: int = Field(ge=0)


def make_app() -> FastAPI:
    app = FastAPI()
    install_problem_handlers(app)

    @app.post("/cars")
    async def create(car: Plate) -> dict[str, str]:
        return {"plate": car.plate, "correlation": correlation_id_var.get() or ""}

    @app.get("/conflict")
    async def conflict() -> None:
        raise Conflict("cannot start", allowed_actions=["cancel"])

    @app.get("/crash")
    async def crash() -> None:
        raise RuntimeError("secret stack detail")

    app.add_middleware(CorrelationIdMiddleware, service="test")
    return app


@pytest.fixture
async def client() -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=make_app(), raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as c:
        yield c


async def test_validation_error_is_problem_json_naming_fields(client: httpx.AsyncClient) -> None:
    response = await client.post("/cars", json={"plate": "bad", "mileage_km": -1})
    assert response.status_code == 422
    assert response.headers["content-type"] == "application/problem+json"
    body = response.json()
    assert body["type"] == "urn:guichet:problem:validation-error"
    assert {e["field"] for e in body["errors"]} == {"plate", "mileage_km"}
    assert "plate" in body["detail"] and "mileage_km" in body["detail"]


async def test_business_error_and_crash(client: httpx.AsyncClient) -> None:
    conflict = await client.get("/conflict")
    assert conflict.status_code == 409
    assert conflict.json()["allowed_actions"] == ["cancel"]
    crash = await client.get("/crash", headers={"X-Correlation-ID": "cid-42"})
    assert crash.status_code == 500
    assert "secret stack detail" not in crash.text
    assert crash.headers["content-type"] == "application/problem+json"
    assert crash.json()["type"] == "urn:guichet:problem:internal-error"
    assert crash.json()["correlation_id"] == "cid-42"
    assert crash.headers["x-correlation-id"] == "cid-42"


async def test_correlation_id_is_echoed_and_visible_to_handlers(client: httpx.AsyncClient) -> None:
    response = await client.post(
        "/cars",
        json={"plate": "AB-123-CD", "mileage_km": 5},
        headers={"X-Correlation-ID": "abc-123"},
    )
    assert response.headers["x-correlation-id"] == "abc-123"
    assert response.json()["correlation"] == "abc-123"
    minted = await client.post("/cars", json={"plate": "AB-123-CD", "mileage_km": 5})
    assert len(minted.headers["x-correlation-id"]) == 36


def test_cursor_round_trip_and_tampering() -> None:
    cursor = encode_cursor(["2026-01-01T00:00:00+00:00", 42])
    assert decode_cursor(cursor, 2) == ["2026-01-01T00:00:00+00:00", 42]
    with pytest.raises(InvalidInput):
        decode_cursor(cursor, 3)
    with pytest.raises(InvalidInput):
        decode_cursor("%%%", 2)


def test_if_match() -> None:
    check_if_match(etag_for(3), 3)
    check_if_match('W/"3", "4"', 4)
    with pytest.raises(PreconditionFailed):
        check_if_match(etag_for(2), 3)
    with pytest.raises(PreconditionRequired):
        check_if_match(None, 3)


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
