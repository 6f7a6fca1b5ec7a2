"""Workshop sessions changed one by one: If-Match, the cars booked in them, bad input, the
list's bounds."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

import pytest

pytestmark = pytest.mark.integration

SESSIONS = "/api/garage/sessions"


async def test_bookings_protect_a_session(plan: Any) -> None:
    created = await plan.create_session(
        "2027-11-16T08:00:00+01:00", "2027-11-16T12:00:00+01:00", bays=2
    )
    assert created.json()["slot_id"] is None
    session_id = created.json()["id"]
    path = f"{SESSIONS}/{session_id}"
    first, second = await plan.accepted(), await plan.accepted()
    for number in (first, second):
        scheduled = await plan.kit.act(number, "schedule", session_ids=[session_id])
        assert scheduled.status_code == 200, scheduled.text

    fewer = await plan.write("PATCH", path, await plan.etag(path), json={"bays": 1})
    assert fewer.status_code == 409, fewer.text
    assert fewer.json()["type"].endswith(":bays-below-bookings")
    assert fewer.json()["booked"] == 2

    refused = await plan.write("DELETE", path, await plan.etag(path))
    assert refused.status_code == 409, refused.text
    assert refused.headers["content-type"] == "application/problem+json"
    assert refused.json()["type"].endswith(":session-has-bookings")
    assert (await plan.get(path)).json()["booked"] == 2

    assert (await plan.kit.act(first, "cancel")).status_code == 200  # gives its bay back
    resized = await plan.write("PATCH", path, await plan.etag(path), json={"bays": 1})
    assert resized.status_code == 200, resized.text
    assert resized.json()["bays"] == 1 and resized.json()["booked"] == 1
    assert (await plan.write("DELETE", path, resized.headers["ETag"])).status_code == 409

    assert (await plan.kit.act(second, "cancel")).status_code == 200
    assert (await plan.write("DELETE", path, await plan.etag(path))).status_code == 204
    assert (await plan.get(path)).status_code == 404
    # Created by hand: removed, not kept as a cancelled mark.
    count = await plan.kit.scalar(
        "SELECT count(*) FROM garage.workshop_session WHERE id = :id", id=session_id
    )
    assert count == 0


async def test_moving_a_booked_session_tells_its_clients_the_new_times(plan: Any) -> None:
    created = await plan.create_session(
        "2027-11-16T08:00:00+01:00", "2027-11-16T12:00:00+01:00", bays=2
    )
    path = f"{SESSIONS}/{created.json()['id']}"
    number = await plan.accepted()
    scheduled = await plan.kit.act(number, "schedule", session_ids=[created.json()["id"]])
    assert scheduled.status_code == 200, scheduled.text
    renamed = await plan.write("PATCH", path, await plan.etag(path), json={"teacher": "prof2"})
    assert renamed.status_code == 200, renamed.text
    moved = await plan.write(
        "PATCH",
        path,
        renamed.headers["ETag"],
        json={"starts_at": "2027-11-18T13:30:00+01:00", "ends_at": "2027-11-18T17:30:00+01:00"},
    )
    assert moved.status_code == 200, moved.text
    announced = [
        e["data"]["sessions"]
        for e in await plan.kit.events(number)
        if e["type"] == "garage.request.scheduled.v1"
    ]
    assert len(announced) == 2, "a new teacher is no news to the client; new times are"
    [session] = announced[-1]
    assert datetime.fromisoformat(session["starts_at"]) == datetime(
        2027, 11, 18, 12, 30, tzinfo=UTC
    )


WINTER_START, WINTER_END = date(2028, 1, 10), date(2028, 1, 21)


@pytest.mark.parametrize("method", ["PATCH", "DELETE"])
@pytest.mark.parametrize("generated", [True, False])
async def test_session_writes_need_the_etag_read(plan: Any, method: str, generated: bool) -> None:
    if generated:
        slot = await plan.create_slot(plan.slot_body(1, "08:00", "12:00", WINTER_START, WINTER_END))
        await plan.generate(WINTER_START, WINTER_END)
        target = plan.of_slot(await plan.sessions_between(WINTER_START, WINTER_END), slot)[0]
    else:
        created = await plan.create_session(
            "2028-01-12T08:00:00+01:00", "2028-01-12T12:00:00+01:00"
        )
        target = created.json()
    path = f"{SESSIONS}/{target['id']}"
    kwargs: dict[str, Any] = {"json": {"teacher": "prof2"}} if method == "PATCH" else {}
    done = await plan.write_needing_the_etag(method, path, **kwargs)
    if method == "PATCH":
        assert done.json()["teacher"] == "prof2"
    else:
        cancelled = await plan.kit.scalar(
            "SELECT cancelled_at IS NOT NULL FROM garage.workshop_session WHERE id = :id",
            id=target["id"],
        )
        # A generated session stays as a cancelled mark; one created by hand is gone.
        assert cancelled is (True if generated else None)


GOOD_SESSION = {
    "starts_at": "2029-01-09T08:00:00+01:00",
    "ends_at": "2029-01-09T12:00:00+01:00",
    "bays": 1,
    "teacher": "prof1",
    "student_group": "BTS",
}


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({**GOOD_SESSION, "ends_at": "2029-01-09T07:00:00+01:00"}, "ends_at"),
        (  # over midnight, local time
            {
                **GOOD_SESSION,
                "starts_at": "2029-01-09T20:00:00+01:00",
                "ends_at": "2029-01-10T02:00:00+01:00",
            },
            "ends_at",
        ),
        ({**GOOD_SESSION, "starts_at": "2029-01-09T08:00:00"}, "starts_at"),  # no offset
        ({**GOOD_SESSION, "bays": 21}, "bays"),
        ({**GOOD_SESSION, "slot_id": None}, "slot_id"),
    ],
)
async def test_a_bad_session_is_a_422_naming_the_field(
    plan: Any, body: dict[str, Any], field: str
) -> None:
    response = await plan.post(SESSIONS, body)
    assert response.status_code == 422, response.text
    problem = response.json()
    assert field in [error["field"] for error in problem["errors"]], problem
    assert field in problem["detail"]


@pytest.mark.parametrize(
    ("patch", "field"),
    [
        ({"bays": None}, "bays"),
        ({"bays": 0}, "bays"),
        ({"starts_at": "2028-01-11T08:00:00"}, "starts_at"),  # no offset
        ({"ends_at": "2028-01-11T07:00:00+01:00"}, "ends_at"),  # before its start
        ({"slot_id": None}, "slot_id"),  # not a field a person sets
    ],
)
async def test_a_bad_session_patch_is_a_422_and_changes_nothing(
    plan: Any, patch: dict[str, Any], field: str
) -> None:
    created = await plan.create_session(
        "2028-01-11T08:00:00+01:00", "2028-01-11T12:00:00+01:00", bays=2
    )
    path = f"{SESSIONS}/{created.json()['id']}"
    response = await plan.write("PATCH", path, created.headers["ETag"], json=patch)
    assert response.status_code == 422, response.text
    assert field in [error["field"] for error in response.json()["errors"]]
    assert (await plan.get(path)).json() == created.json()


async def test_session_list_bounds_are_local_without_an_offset(plan: Any) -> None:
    created = await plan.create_session("2029-01-16T08:00:00+01:00", "2029-01-16T12:00:00+01:00")

    async def listed(start: str, end: str) -> list[str]:
        response = await plan.kit.client.get(
            SESSIONS, params={"start": start, "end": end}, headers=plan.kit.teacher
        )
        assert response.status_code == 200, response.text
        return [s["id"] for s in response.json()]

    # 08:00 in Paris is 07:00 UTC: read as UTC, this window would start an hour too late.
    assert created.json()["id"] in await listed("2029-01-16T08:00:00", "2029-01-16T08:00:01")
    assert created.json()["id"] not in await listed("2029-01-16T08:00:01", "2029-01-17T00:00:00")
    far = await plan.kit.client.get(
        SESSIONS, params={"start": "9999-12-31T23:00:00"}, headers=plan.kit.teacher
    )
    assert far.status_code == 422 and far.json()["errors"][0]["field"] == "start"
