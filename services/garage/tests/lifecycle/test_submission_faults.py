"""Faults in one submission stay in that submission: each is its own transaction, so a bad
byte, a database refusal or a cut link fails that one client only, stores nothing of it
and burns no number."""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

import httpx
import pytest

from guichet_common.testing.proxy import TcpProxy

pytestmark = pytest.mark.integration


def _numbers(responses: list[httpx.Response]) -> list[int]:
    return sorted(int(r.json()["number"].rsplit("-", 1)[1]) for r in responses)


async def _stored(kit: Any, last_name: str) -> int:
    count: int = await kit.scalar(
        "SELECT count(*) FROM garage.garage_request WHERE last_name = :n", n=last_name
    )
    return count


async def test_a_nul_byte_in_one_submission_touches_no_other(kit: Any) -> None:
    name = f"Nul{uuid.uuid4().hex[:6]}"
    bad = kit.submission(last_name=name, description="freins\x00")
    results = await asyncio.gather(
        *(
            kit.client.post("/api/garage/requests", json=kit.submission(last_name=name))
            for _ in range(8)
        ),
        kit.client.post("/api/garage/requests", json=bad),
    )
    *good, refused = results
    assert all(r.status_code == 201 for r in good), [r.text for r in good]
    assert refused.status_code == 422, refused.text
    assert [e["field"] for e in refused.json()["errors"]] == ["description"]
    assert await _stored(kit, name) == 8
    numbers = _numbers(good)
    assert numbers == list(range(numbers[0], numbers[0] + 8)), "the refused one burnt no number"


async def test_a_database_refusal_of_one_submission_touches_no_other(kit: Any) -> None:
    name = f"Boum{uuid.uuid4().hex[:6]}"
    await kit.sql(
        f"""CREATE FUNCTION garage.refuse_{name.lower()}() RETURNS trigger LANGUAGE plpgsql AS
        $$ BEGIN RAISE EXCEPTION 'refused by the test'; END $$"""
    )
    await kit.sql(
        f"""CREATE TRIGGER refuse_{name.lower()} BEFORE INSERT ON garage.garage_request
        FOR EACH ROW WHEN (NEW.last_name = '{name}')
        EXECUTE FUNCTION garage.refuse_{name.lower()}()"""
    )
    try:
        results = await asyncio.gather(
            *(
                kit.client.post("/api/garage/requests", json=kit.submission(last_name="Voisin"))
                for _ in range(8)
            ),
            kit.client.post("/api/garage/requests", json=kit.submission(last_name=name)),
        )
    finally:
        await kit.sql(f"DROP TRIGGER refuse_{name.lower()} ON garage.garage_request")
        await kit.sql(f"DROP FUNCTION garage.refuse_{name.lower()}()")
    *good, refused = results
    assert all(r.status_code == 201 for r in good), [r.text for r in good]
    assert refused.status_code == 500
    assert refused.headers["content-type"] == "application/problem+json"
    assert await _stored(kit, name) == 0
    numbers = _numbers(good)
    assert numbers == list(range(numbers[0], numbers[0] + 8))
    [event] = await kit.events(good[0].json()["number"])
    assert event["type"] == "garage.request.submitted.v1"


async def test_a_cut_database_link_fails_the_submissions_in_flight_only(
    kit: Any, make_client: Any
) -> None:
    """The link to PostgreSQL drops (a restart): requests answer 503 with Retry-After
    (nothing stored, no number burnt); once it is back, the next submissions are stored with
    the following numbers."""
    url = kit.engine.url
    proxy = TcpProxy(url.host or "127.0.0.1", url.port or 5432)
    await proxy.start()
    name = f"Coupe{uuid.uuid4().hex[:6]}"
    through_proxy = url.set(host="127.0.0.1", port=proxy.port).render_as_string(hide_password=False)
    try:
        async with make_client(database_url=through_proxy) as client:
            body = kit.submission(last_name=name)
            before = await client.post("/api/garage/requests", json=body)
            assert before.status_code == 201
            proxy.cut()
            during = await asyncio.gather(
                *(client.post("/api/garage/requests", json=body) for _ in range(3))
            )
            # A fault of the infrastructure, said as such: 503 with when to try again.
            assert [r.status_code for r in during] == [503] * 3, [r.text for r in during]
            assert all(r.headers["retry-after"] == "5" for r in during)
            assert during[0].json()["type"] == "urn:guichet:problem:database-unavailable"
            listing = await client.get("/api/garage/requests", headers=kit.teacher)
            assert listing.status_code == 503
            proxy.restore()
            after = await asyncio.gather(
                *(client.post("/api/garage/requests", json=body) for _ in range(3))
            )
            assert all(r.status_code == 201 for r in after), [r.text for r in after]
    finally:
        await proxy.close()
    assert await _stored(kit, name) == 4
    numbers = _numbers([before, *after])
    assert numbers == list(range(numbers[0], numbers[0] + 4))
