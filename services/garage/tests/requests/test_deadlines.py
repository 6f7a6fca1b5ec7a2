from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import pytest

from garage.requests import service
from guichet_common.db import make_session_factory, unit_of_work

pytestmark = pytest.mark.integration


async def flag(kit: Any, now: datetime) -> int:
    async with unit_of_work(make_session_factory(kit.engine)) as session:
        return await service.flag_missed_deadlines(session, kit.settings, now)


async def test_missed_deadlines_fire_once_and_show_in_the_staff_list(kit: Any) -> None:
    late = (await kit.submit())["number"]
    triaged = (await kit.submit())["number"]
    quoted = (await kit.submit())["number"]
    await kit.act(triaged, "triage")
    await kit.act(quoted, "triage")
    await kit.issue_first_quote(quoted)
    submitted_at = datetime.fromisoformat(
        (await kit.client.get(f"/api/garage/requests/{late}", headers=kit.teacher)).json()[
            "submitted_at"
        ]
    )

    await flag(kit, submitted_at + timedelta(hours=47))
    assert "garage.deadline.missed.v1" not in await kit.event_types(late)

    await flag(kit, submitted_at + timedelta(hours=49))
    missed = [e for e in await kit.events(late) if e["type"] == "garage.deadline.missed.v1"]
    assert sorted(e["data"]["deadline"] for e in missed) == ["diagnosis", "quote"]
    assert missed[0]["data"]["client_email"] == "claire.martin@example.org"
    triaged_missed = [
        e["data"]["deadline"]
        for e in await kit.events(triaged)
        if e["type"] == "garage.deadline.missed.v1"
    ]
    assert triaged_missed == ["quote"]  # triage counts as the diagnosis
    assert "garage.deadline.missed.v1" not in await kit.event_types(quoted)

    await flag(kit, submitted_at + timedelta(hours=72))  # never twice
    assert len([t for t in await kit.event_types(late) if t == "garage.deadline.missed.v1"]) == 2

    overdue = (
        await kit.client.get("/api/garage/requests?overdue=true&limit=200", headers=kit.teacher)
    ).json()["items"]
    flagged = {i["number"]: i for i in overdue}
    assert flagged[late]["quote_deadline_missed"] and flagged[late]["diagnosis_deadline_missed"]
    assert quoted not in flagged


async def test_stats_count_types_and_delays(kit: Any) -> None:
    number = (await kit.submit(service_type="tyres"))["number"]
    await kit.issue_first_quote(number)
    stats = (await kit.client.get("/api/garage/stats", headers=kit.teacher)).json()
    assert stats["requests_per_type"]["tyres"] >= 1
    assert stats["requests_per_status"]["quoted"] >= 1
    assert stats["mean_hours_to_quote"] is not None and stats["mean_hours_to_quote"] >= 0
