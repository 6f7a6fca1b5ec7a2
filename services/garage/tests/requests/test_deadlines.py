"""Deadlines are defined by what starts and what meets them, in working days of the
garage's calendar: the quote is due 2 working days after submission, the diagnosis 2
working days after the car is dropped off."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from garage.lifecycle import service as lifecycle
from garage.requests import service
from garage.requests.schemas import RequestSubmission
from guichet_common.db import make_session_factory, unit_of_work

pytestmark = pytest.mark.integration

PARIS = ZoneInfo("Europe/Paris")
# Friday 20 March 2026, 10:00 in Paris: term time in zone B.
FRIDAY_MORNING = datetime(2026, 3, 20, 10, 0, tzinfo=PARIS)


async def submit_at(kit: Any, now: datetime, **overrides: Any) -> str:
    data = RequestSubmission.model_validate(kit.submission(**overrides))
    async with unit_of_work(make_session_factory(kit.engine)) as session:
        request = await lifecycle.submit(session, kit.settings, data, now)
        return request.number


async def flag(kit: Any, now: datetime) -> int:
    async with unit_of_work(make_session_factory(kit.engine)) as session:
        return await service.flag_missed_deadlines(session, kit.settings, now)


async def missed(kit: Any, number: str) -> list[str]:
    return sorted(
        e["data"]["deadline"]
        for e in await kit.events(number)
        if e["type"] == "garage.deadline.missed.v1"
    )


async def detail(kit: Any, number: str) -> dict[str, Any]:
    response = await kit.client.get(f"/api/garage/requests/{number}", headers=kit.teacher)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


async def test_the_quote_is_due_at_the_end_of_the_second_working_day(kit: Any) -> None:
    number = await submit_at(kit, FRIDAY_MORNING)
    due = datetime.fromisoformat((await detail(kit, number))["quote_due_at"])
    # Friday -> Monday (1), Tuesday (2): due when Tuesday ends, Paris time.
    assert due == datetime(2026, 3, 25, 0, 0, tzinfo=PARIS)

    await flag(kit, datetime(2026, 3, 24, 23, 59, tzinfo=PARIS))
    assert await missed(kit, number) == []
    await flag(kit, datetime(2026, 3, 25, 0, 1, tzinfo=PARIS))
    assert await missed(kit, number) == ["quote"]
    await flag(kit, datetime(2026, 3, 30, 9, 0, tzinfo=PARIS))  # never twice
    assert await missed(kit, number) == ["quote"]
    overdue = (
        await kit.client.get("/api/garage/requests?overdue=true&limit=200", headers=kit.teacher)
    ).json()["items"]
    assert number in {item["number"] for item in overdue}


async def test_public_and_school_holidays_do_not_count(kit: Any) -> None:
    # Friday 3 April 2026, then Easter Monday: due when Wednesday 8 April ends.
    easter = await submit_at(kit, datetime(2026, 4, 3, 16, 0, tzinfo=PARIS))
    due = datetime.fromisoformat((await detail(kit, easter))["quote_due_at"])
    assert due == datetime(2026, 4, 9, 0, 0, tzinfo=PARIS)
    # Friday 10 April 2026, then zone B's spring holidays (13 to 24 April): Tuesday 28.
    spring = await submit_at(kit, datetime(2026, 4, 10, 16, 0, tzinfo=PARIS))
    due = datetime.fromisoformat((await detail(kit, spring))["quote_due_at"])
    assert due == datetime(2026, 4, 29, 0, 0, tzinfo=PARIS)


async def test_a_quote_sent_straight_away_leaves_no_deadline_missed(kit: Any) -> None:
    """The old rule had the diagnosis met by triage only: a quote issued straight from
    `submitted` was reported late."""
    number = await submit_at(kit, FRIDAY_MORNING)
    await kit.issue_first_quote(number)
    await flag(kit, datetime(2026, 4, 30, 9, 0, tzinfo=PARIS))
    assert await missed(kit, number) == []
    assert (await detail(kit, number))["diagnosis_due_at"] is None  # not dropped off


async def test_the_diagnosis_is_due_from_the_drop_off_and_met_by_recording_it(kit: Any) -> None:
    late = await submit_at(kit, FRIDAY_MORNING)
    on_time = await submit_at(kit, FRIDAY_MORNING)
    for number in (late, on_time):
        await kit.issue_first_quote(number)
        dropped = await kit.act(number, "drop_off", dropped_off_on="2026-03-23")
        assert dropped.status_code == 200, dropped.text
        assert dropped.json()["status"] == "quoted"  # recorded, the status stays
    body = await detail(kit, late)
    assert body["dropped_off_on"] == "2026-03-23"
    # Monday -> Tuesday (1), Wednesday (2).
    assert datetime.fromisoformat(body["diagnosis_due_at"]) == datetime(
        2026, 3, 26, 0, 0, tzinfo=PARIS
    )
    diagnosed = await kit.act(on_time, "diagnose", diagnosis="Plaquettes usées à 90 %.")
    assert diagnosed.status_code == 200, diagnosed.text
    assert diagnosed.json()["diagnosis"] == "Plaquettes usées à 90 %."
    assert [h["action"] for h in diagnosed.json()["history"]][-2:] == ["drop_off", "diagnose"]

    await flag(kit, datetime(2026, 3, 26, 8, 0, tzinfo=PARIS))
    assert await missed(kit, late) == ["diagnosis"]
    assert await missed(kit, on_time) == []
    late_body = await detail(kit, late)
    assert late_body["diagnosis_deadline_missed"] and not late_body["quote_deadline_missed"]


async def test_done_refused_and_cancelled_requests_owe_nothing(kit: Any) -> None:
    refused = await submit_at(kit, FRIDAY_MORNING)
    cancelled = await submit_at(kit, FRIDAY_MORNING)
    issued = await kit.issue_first_quote(refused)
    assert (await kit.act(refused, "drop_off", dropped_off_on="2026-03-23")).status_code == 200
    assert (await kit.decide(issued["decision_url"], "refuse")).status_code == 200
    assert (await kit.act(cancelled, "drop_off", dropped_off_on="2026-03-23")).status_code == 200
    assert (await kit.act(cancelled, "cancel")).status_code == 200

    await flag(kit, datetime(2026, 6, 1, 9, 0, tzinfo=PARIS))
    assert await missed(kit, refused) == []
    assert await missed(kit, cancelled) == []


async def test_drop_off_and_diagnosis_refuse_what_makes_no_sense(kit: Any) -> None:
    number = await submit_at(kit, FRIDAY_MORNING)
    future = await kit.act(number, "drop_off", dropped_off_on="2099-01-04")
    assert future.status_code == 422 and future.json()["field"] == "dropped_off_on"
    before = await kit.act(number, "drop_off", dropped_off_on="2026-03-19")
    assert before.status_code == 422 and before.json()["field"] == "dropped_off_on"
    not_there = await kit.act(number, "diagnose", diagnosis="Rien vu.")
    assert not_there.status_code == 409
    assert "drop_off" in not_there.json()["allowed_actions"]
    assert (await kit.act(number, "drop_off")).status_code == 200  # today by default
    empty = await kit.act(number, "diagnose")
    assert empty.status_code == 422 and empty.json()["field"] == "diagnosis"
    body = await detail(kit, number)
    assert body["diagnosis"] is None and body["diagnosed_at"] is None


async def test_stats_count_types_and_delays(kit: Any) -> None:
    number = (await kit.submit(service_type="tyres"))["number"]
    await kit.issue_first_quote(number)
    stats = (await kit.client.get("/api/garage/stats", headers=kit.teacher)).json()
    assert stats["requests_per_type"]["tyres"] >= 1
    assert stats["requests_per_status"]["quoted"] >= 1
    assert stats["mean_hours_to_quote"] is not None and stats["mean_hours_to_quote"] >= 0
