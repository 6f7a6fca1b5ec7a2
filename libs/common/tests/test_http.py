from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest
from fastapi import FastAPI
from pydantic import BaseModel, Field
from sqlalchemy.orm.exc import StaleDataError

from guichet_common.http import (
    Conflict,
    CorrelationIdMiddleware,
    PreconditionFailed,
    PreconditionRequired,
    check_if_match,
    etag_for,
    install_problem_handlers,
)
from guichet_common.logging import correlation_id_var


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

    @app.get("/lost-race")
    async def lost_race() -> None:
        # What the ORM raises when a versioned UPDATE matches no row: another writer
        # committed the same version first.
        raise StaleDataError("UPDATE statement on table 'site' expected to update 1 row(s)")

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


async def test_a_write_that_lost_a_version_race_is_412_not_500(
    client: httpx.AsyncClient,
) -> None:
    response = await client.get("/lost-race")
    assert response.status_code == 412
    assert response.json()["type"] == "urn:guichet:problem:precondition-failed"
    assert "expected to update" not in response.text


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


def test_if_match() -> None:
    check_if_match(etag_for(3), 3)
    check_if_match('W/"3", "4"', 4)
    with pytest.raises(PreconditionFailed):
        check_if_match(etag_for(2), 3)
    with pytest.raises(PreconditionRequired):
        check_if_match(None, 3)
