from __future__ import annotations

from datetime import datetime
from typing import Any

import pytest

pytestmark = pytest.mark.integration


async def test_staff_endpoints_need_a_teacher(kit: Any) -> None:
    created = await kit.submit()
    assert (await kit.client.get("/api/garage/requests")).status_code == 401
    response = await kit.client.post(
        f"/api/garage/requests/{created['number']}/transitions", json={"action": "triage"}
    )
    assert response.status_code == 401


async def test_assignment_needs_the_current_etag(kit: Any) -> None:
    number = (await kit.submit())["number"]
    url = f"/api/garage/requests/{number}/assignment"
    body = {"teachers": ["Prof 1", "Prof 2"], "student_group": "BTS MV 1"}
    assert (await kit.client.put(url, json=body, headers=kit.teacher)).status_code == 428
    current = await kit.client.get(f"/api/garage/requests/{number}", headers=kit.teacher)
    etag = current.headers["etag"]
    stale = {**kit.teacher, "If-Match": '"999"'}
    assert (await kit.client.put(url, json=body, headers=stale)).status_code == 412
    done = await kit.client.put(url, json=body, headers={**kit.teacher, "If-Match": etag})
    assert done.status_code == 200
    assert done.json()["teachers"] == ["Prof 1", "Prof 2"]
    assert done.headers["etag"] != etag


async def test_list_is_keyset_paginated_newest_first(kit: Any) -> None:
    for _ in range(3):
        await kit.submit()
    first = (await kit.client.get("/api/garage/requests?limit=2", headers=kit.teacher)).json()
    assert len(first["items"]) == 2 and first["next_cursor"]
    second = (
        await kit.client.get(
            f"/api/garage/requests?limit=2&cursor={first['next_cursor']}", headers=kit.teacher
        )
    ).json()
    items = first["items"] + second["items"]
    assert len({i["number"] for i in items}) == 4
    submitted = [datetime.fromisoformat(i["submitted_at"]) for i in items]
    assert submitted == sorted(submitted, reverse=True)
