"""The public submission (`POST /api/garage/requests`) on the plain path: one ordinary
transaction per submission, whatever happens to the others."""

from __future__ import annotations

import asyncio
import re
from typing import Any

import pytest

pytestmark = pytest.mark.integration


async def test_submission_stores_drafts_a_quote_and_publishes(kit: Any) -> None:
    created = await kit.submit(plate="ab 123 cd", vin="vf1rja00012345678")
    assert re.fullmatch(r"DEM-\d{4}-\d{4}", created["number"])
    assert created["status"] == "submitted"
    assert created["tracking_url"].startswith("http://garage.test/garage/suivi/")
    detail = (
        await kit.client.get(f"/api/garage/requests/{created['number']}", headers=kit.teacher)
    ).json()
    assert (detail["plate"], detail["vin"], detail["phone"]) == (
        "AB-123-CD",
        "VF1RJA00012345678",
        "+33612345678",
    )
    [draft] = await kit.quotes(created["number"])
    assert draft["status"] == "draft" and draft["number"] is None and draft["lines"]
    [event] = await kit.events(created["number"])
    assert event["type"] == "garage.request.submitted.v1"
    assert event["data"]["client_email"] == "claire.martin@example.org"
    assert event["data"]["request_number"] == created["number"]
    assert created["number"] in event["data"]["subject"]
    assert event["data"]["tracking_url"] == created["tracking_url"]
    assert event["data"]["description"] == "Bruit de frottement au freinage."


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"plate": "A-1-B"}, "plate"),
        ({"vin": "VF1RJA0001234567I"}, "vin"),
        ({"vin": "TOO-SHORT"}, "vin"),
        ({"email": "claire.example.org"}, "email"),
        ({"consent": False}, "consent"),
        ({"phone": "123"}, "phone"),
        ({"service_type": "painting"}, "service_type"),
        ({"mileage_km": -5}, "mileage_km"),
        ({"description": "x" * 4001}, "description"),
    ],
)
async def test_bad_input_names_the_field_and_stores_nothing(
    kit: Any, overrides: dict[str, Any], field: str
) -> None:
    before = await kit.scalar("SELECT count(*) FROM garage.garage_request")
    outbox_before = await kit.scalar("SELECT count(*) FROM garage.outbox")
    response = await kit.client.post("/api/garage/requests", json=kit.submission(**overrides))
    assert response.status_code == 422
    assert response.headers["content-type"] == "application/problem+json"
    problem = response.json()
    assert [e["field"] for e in problem["errors"]] == [field]
    assert field in problem["detail"]
    assert await kit.scalar("SELECT count(*) FROM garage.garage_request") == before
    assert await kit.scalar("SELECT count(*) FROM garage.outbox") == outbox_before


async def test_missing_consent_is_refused(kit: Any) -> None:
    body = kit.submission()
    del body["consent"]
    response = await kit.client.post("/api/garage/requests", json=body)
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "consent"


async def test_numbers_are_gap_free_under_concurrency(kit: Any) -> None:
    responses = await asyncio.gather(
        *(kit.client.post("/api/garage/requests", json=kit.submission()) for _ in range(25))
    )
    assert all(r.status_code == 201 for r in responses), [r.text for r in responses]
    numbers = sorted(int(r.json()["number"][-4:]) for r in responses)
    assert numbers == list(range(numbers[0], numbers[0] + 25))
    year = responses[0].json()["number"][4:8]
    top = await kit.scalar(
        "SELECT last_value FROM garage.reference_counter WHERE kind = 'DEM' AND year = :y",
        y=int(year),
    )
    assert top == numbers[-1]


async def test_idempotency_key_replays_the_first_result(kit: Any) -> None:
    headers = {"Idempotency-Key": "form-retry-1"}
    first = await kit.client.post("/api/garage/requests", json=kit.submission(), headers=headers)
    again = await kit.client.post("/api/garage/requests", json=kit.submission(), headers=headers)
    assert first.status_code == again.status_code == 201
    assert again.json() == first.json()
    assert again.headers["idempotent-replayed"] == "true"


async def test_rate_limit_is_429_with_retry_after_and_stores_nothing(
    make_client: Any, kit: Any
) -> None:
    async with make_client(rate_limit="3/minute") as limited:
        for _ in range(3):
            ok = await limited.post("/api/garage/requests", json=kit.submission())
            assert ok.status_code == 201
        before = await kit.scalar("SELECT count(*) FROM garage.garage_request")
        refused = await limited.post("/api/garage/requests", json=kit.submission())
        assert refused.status_code == 429
        assert refused.headers["content-type"] == "application/problem+json"
        assert 1 <= int(refused.headers["retry-after"]) <= 60
        assert await kit.scalar("SELECT count(*) FROM garage.garage_request") == before


async def test_oversized_body_is_413(kit: Any) -> None:
    response = await kit.client.post(
        "/api/garage/requests",
        content=b'{"description": "' + b"x" * 40_000 + b'"}',
        headers={"content-type": "application/json"},
    )
    assert response.status_code == 413
