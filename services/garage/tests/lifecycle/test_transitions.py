from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

pytestmark = pytest.mark.integration


def next_school_day() -> datetime:
    """A Tuesday well inside a term (no holidays in any zone), at 08:00 Paris."""
    return datetime(2027, 3, 16, 7, 0, tzinfo=UTC)


async def workshop_session(kit: Any, bays: int = 4, day_offset: int = 0) -> str:
    start = next_school_day() + timedelta(days=day_offset)
    response = await kit.client.post(
        "/api/garage/sessions",
        json={
            "starts_at": start.isoformat(),
            "ends_at": (start + timedelta(hours=4)).isoformat(),
            "bays": bays,
            "teacher": "prof1",
            "student_group": "BTS MV 1",
        },
        headers=kit.teacher,
    )
    assert response.status_code == 201, response.text
    session_id: str = response.json()["id"]
    return session_id


async def accepted_request(kit: Any) -> str:
    number: str = (await kit.submit())["number"]
    assert (await kit.act(number, "triage")).status_code == 200
    issued = await kit.issue_first_quote(number)
    assert (await kit.decide(issued["decision_url"], "accept")).status_code == 200
    return number


async def test_the_whole_lifecycle(kit: Any) -> None:
    number = await accepted_request(kit)
    assert await kit.status(number) == "accepted"
    session_id = await workshop_session(kit)
    steps: list[tuple[str, dict[str, Any], str]] = [
        ("schedule", {"session_ids": [session_id]}, "scheduled"),
        ("start", {}, "in_progress"),
        (
            "finish",
            {"work_done": "Plaquettes avant remplacées, purge du circuit.", "mileage_km": 84_530},
            "done",
        ),
        ("hand_back", {}, "handed_back"),
        ("archive", {}, "archived"),
    ]
    for action, extra, status in steps:
        response = await kit.act(number, action, **extra)
        assert response.status_code == 200, response.text
        assert response.json()["status"] == status
    detail = (await kit.client.get(f"/api/garage/requests/{number}", headers=kit.teacher)).json()
    assert [h["to_status"] for h in detail["history"]] == [
        "submitted",
        "triaged",
        "quoted",
        "accepted",
        "scheduled",
        "in_progress",
        "done",
        "handed_back",
        "archived",
    ]
    types = await kit.event_types(number)
    for expected in (
        "garage.request.submitted.v1",
        "garage.quote.issued.v1",
        "garage.quote.accepted.v1",
        "garage.request.scheduled.v1",
        "garage.request.ready_for_pickup.v1",
    ):
        assert expected in types
    assert types.count("garage.request.status_changed.v1") == 8
    scheduled = next(e for e in await kit.events(number) if e["type"].endswith("scheduled.v1"))
    [booked] = scheduled["data"]["sessions"]
    assert datetime.fromisoformat(booked["starts_at"]) == next_school_day()
    assert datetime.fromisoformat(booked["ends_at"]) == next_school_day() + timedelta(hours=4)
    issued = next(e for e in await kit.events(number) if e["type"] == "garage.quote.issued.v1")
    assert issued["data"]["total_incl_tax"] == "94.80"
    assert issued["data"]["decision_url"].startswith("http://garage.test/garage/devis/")


FROM_SUBMITTED = ["triage", "drop_off", "diagnose", "cancel"]


@pytest.mark.parametrize("action", ["start", "schedule", "finish", "hand_back", "archive"])
async def test_illegal_actions_are_409_with_the_allowed_ones(kit: Any, action: str) -> None:
    number = (await kit.submit())["number"]
    events_before = len(await kit.events(number))
    response = await kit.act(number, action, session_ids=[])
    assert response.status_code == 409
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["allowed_actions"] == FROM_SUBMITTED
    assert await kit.status(number) == "submitted"
    assert len(await kit.events(number)) == events_before


async def test_start_is_refused_without_an_accepted_quote(kit: Any) -> None:
    number = (await kit.submit())["number"]
    await kit.act(number, "triage")
    await kit.issue_first_quote(number)  # issued, not accepted
    # Even a request that reached `scheduled` some other way (e.g. data import) cannot start.
    await kit.sql(
        "UPDATE garage.garage_request SET status = 'scheduled' WHERE number = :n", n=number
    )
    response = await kit.act(number, "start")
    assert response.status_code == 409
    assert response.json()["type"].endswith("quote-not-accepted")
    assert await kit.status(number) == "scheduled"


async def test_refused_quote_blocks_work_and_a_new_version_can_follow(kit: Any) -> None:
    number = (await kit.submit())["number"]
    issued = await kit.issue_first_quote(number)
    assert (await kit.decide(issued["decision_url"], "refuse")).status_code == 200
    assert await kit.status(number) == "refused"
    assert (await kit.act(number, "start")).status_code == 409
    revised = await kit.client.post(
        f"/api/garage/requests/{number}/quotes", json={}, headers=kit.teacher
    )
    assert revised.status_code == 201 and revised.json()["version"] == 2
    second = await kit.issue(revised.json()["id"])
    assert await kit.status(number) == "quoted"
    assert (await kit.decide(second["decision_url"], "accept")).status_code == 200
    assert (await kit.act(number, "start")).status_code == 200


@pytest.mark.parametrize(
    "state", ["submitted", "triaged", "quoted", "accepted", "scheduled", "in_progress"]
)
async def test_cancel_from_any_open_state(kit: Any, state: str) -> None:
    number = (await kit.submit())["number"]
    if state != "submitted":
        await kit.act(number, "triage")
    if state in {"quoted", "accepted", "scheduled", "in_progress"}:
        issued = await kit.issue_first_quote(number)
        if state != "quoted":
            await kit.decide(issued["decision_url"], "accept")
    if state in {"scheduled", "in_progress"}:
        await kit.act(number, "schedule", session_ids=[await workshop_session(kit)])
    if state == "in_progress":
        await kit.act(number, "start")
    assert await kit.status(number) == state
    response = await kit.act(number, "cancel", note="Le client a vendu la voiture")
    assert response.status_code == 200
    assert response.json()["status"] == "cancelled"
    assert (await kit.act(number, "cancel")).status_code == 409
    assert (await kit.act(number, "archive")).json()["status"] == "archived"
    booked = await kit.scalar(
        "SELECT count(*) FROM garage.session_booking b JOIN garage.garage_request r "
        "ON r.id = b.request_id WHERE r.number = :n",
        n=number,
    )
    assert booked == 0  # cancelling frees the bays


async def test_extra_work_needs_an_accepted_supplement(kit: Any) -> None:
    number = await accepted_request(kit)
    await kit.act(number, "start")
    supplement = await kit.client.post(
        f"/api/garage/requests/{number}/quotes", json={"supplement": True}, headers=kit.teacher
    )
    assert supplement.status_code == 201
    assert supplement.json()["is_supplement"] and supplement.json()["lines"] == []
    quote_id = supplement.json()["id"]
    lines = {
        "lines": [
            {
                "kind": "part",
                "label": "Disques avant",
                "quantity": 2,
                "unit_price": "38.00",
                "parts_origin": "client",
            },
            {"kind": "labour", "label": "Remplacement disques", "quantity": 1},
        ]
    }
    edited = await kit.client.put(
        f"/api/garage/quotes/{quote_id}",
        json=lines,
        headers={**kit.teacher, "If-Match": supplement.headers["etag"]},
    )
    assert edited.status_code == 200, edited.text
    issued = await kit.issue(quote_id)
    assert await kit.status(number) == "quoted"  # work pauses until the client decides
    assert (await kit.act(number, "start")).status_code == 409
    await kit.decide(issued["decision_url"], "accept")
    assert await kit.status(number) == "accepted"
    assert (await kit.act(number, "start")).status_code == 200
