from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from icalendar import Calendar

from garage.workdays import closure_reason

pytestmark = pytest.mark.integration


def session_body(start: datetime, bays: int = 1) -> dict[str, Any]:
    return {
        "starts_at": start.isoformat(),
        "ends_at": (start + timedelta(hours=3)).isoformat(),
        "bays": bays,
        "teacher": "prof1",
        "student_group": "BTS MV 2",
    }


def test_school_and_public_holidays_close_the_workshop() -> None:
    assert closure_reason(datetime(2026, 12, 24).date(), "B") is not None  # Noël
    assert "férié" in (closure_reason(datetime(2027, 5, 6).date(), "B") or "")  # Ascension
    assert closure_reason(datetime(2027, 3, 13).date(), "B") == "week-end"
    assert closure_reason(datetime(2027, 3, 16).date(), "B") is None


async def test_sessions_refuse_holidays(kit: Any) -> None:
    response = await kit.client.post(
        "/api/garage/sessions",
        json=session_body(datetime(2026, 12, 22, 8, tzinfo=UTC)),
        headers=kit.teacher,
    )
    assert response.status_code == 422
    assert response.json()["field"] == "starts_at"
    assert "Noël" in response.json()["detail"]


async def accepted(kit: Any) -> str:
    number: str = (await kit.submit())["number"]
    issued = await kit.issue_first_quote(number)
    await kit.decide(issued["decision_url"], "accept")
    return number


async def test_capacity_is_respected_and_the_feed_lists_the_cars(kit: Any) -> None:
    start = datetime(2027, 3, 17, 7, 30, tzinfo=UTC)
    created = await kit.client.post(
        "/api/garage/sessions", json=session_body(start, bays=1), headers=kit.teacher
    )
    assert created.status_code == 201
    session_id = created.json()["id"]
    first, second = await accepted(kit), await accepted(kit)
    assert (await kit.act(first, "schedule", session_ids=[session_id])).status_code == 200
    full = await kit.act(second, "schedule", session_ids=[session_id])
    assert full.status_code == 409
    assert full.json()["type"].endswith("session-full")
    assert await kit.status(second) == "accepted"
    listed = (
        await kit.client.get(
            f"/api/garage/sessions?start={(start - timedelta(minutes=1)).isoformat()}".replace(
                "+", "%2B"
            ),
            headers=kit.teacher,
        )
    ).json()
    assert next(s for s in listed if s["id"] == session_id)["booked"] == 1

    link = (await kit.client.get("/api/garage/calendar-link", headers=kit.teacher)).json()["url"]
    feed = await kit.client.get(link.removeprefix("http://garage.test"))
    assert feed.status_code == 200
    assert feed.headers["content-type"].startswith("text/calendar")
    events = list(Calendar.from_ical(feed.content).walk("VEVENT"))
    mine = next(e for e in events if str(e["uid"]).startswith(session_id))
    assert first in str(mine["description"]) and "AB-123-CD" in str(mine["description"])
    assert second not in str(mine["description"])
    for odd in ("prof1.forged", "prof1.%C3%A9t%C3%A9", "%F0%9F%94%A7"):
        bad = await kit.client.get(f"/api/garage/calendar.ics?token={odd}")
        assert bad.status_code == 401, odd


async def test_schedule_needs_known_sessions(kit: Any) -> None:
    number = await accepted(kit)
    missing = await kit.act(number, "schedule", session_ids=[])
    assert missing.status_code == 422 and missing.json()["field"] == "session_ids"
    unknown = await kit.act(
        number, "schedule", session_ids=["00000000-0000-7000-8000-000000000000"]
    )
    assert unknown.status_code == 422
    assert await kit.status(number) == "accepted"
