"""The teaching timetable: weekly slots, and the sessions generated from them over a school
year (closed days skipped with their French reason, local times kept across the DST
changes, idempotent, sessions changed by hand left alone).

The database is shared by the tests of a run and generation covers every slot, so each
test keeps its slots valid within its own dates only."""

from __future__ import annotations

from datetime import date, datetime, time
from typing import Any
from zoneinfo import ZoneInfo

import pytest

pytestmark = pytest.mark.integration

PARIS = ZoneInfo("Europe/Paris")
SLOTS = "/api/garage/timetable/slots"
GENERATE = "/api/garage/timetable/generate"
SESSIONS = "/api/garage/sessions"


# --- generation over a school year ------------------------------------------------------------

YEAR_START, YEAR_END = date(2026, 9, 1), date(2027, 7, 4)  # zone B, 2026-2027


async def test_a_school_year_is_generated_on_open_days_at_local_times(plan: Any) -> None:
    tuesday = await plan.create_slot(plan.slot_body(1, "08:00", "12:00", YEAR_START, YEAR_END))
    friday = await plan.create_slot(
        plan.slot_body(4, "13:30", "17:00", YEAR_START, YEAR_END, student_group="BTS MV 2")
    )
    # Valid in January only: its four Wednesdays, whatever range is generated.
    january = await plan.create_slot(
        plan.slot_body(2, "14:00", "16:00", date(2027, 1, 1), date(2027, 1, 31))
    )
    assert tuesday["weekday_label"] == "mardi" and friday["weekday_label"] == "vendredi"

    first = await plan.generate(YEAR_START, YEAR_END)

    # 44 Tuesdays, 8 of them in school holidays; 44 Fridays, 9 closed (holidays, Noël,
    # Jour de l'an, the Ascension bridge); 4 Wednesdays in January.
    assert first["created"] == 36 + 35 + 4
    assert first["already_existed"] == 0
    skipped = {entry["date"]: entry["reason"] for entry in first["skipped"]}
    assert len(skipped) == 17
    assert skipped["2026-12-25"] == "jour férié (Noël)"
    assert skipped["2027-01-01"] == "jour férié (Jour de l'an)"
    assert skipped["2026-12-22"] == "Vacances de Noël (zone B)"
    assert skipped["2027-02-23"] == "Vacances d'hiver (zone B)"
    assert skipped["2027-05-07"] == "Pont de l'Ascension (zone B)"
    assert [e["date"] for e in first["skipped"]] == sorted(skipped)  # in date order

    listed = await plan.sessions_between(YEAR_START, YEAR_END)
    for slot, count, start, end in (
        (tuesday, 36, time(8), time(12)),
        (friday, 35, time(13, 30), time(17)),
        (january, 4, time(14), time(16)),
    ):
        mine = plan.of_slot(listed, slot)
        assert len(mine) == count
        for session in mine:
            starts, ends = plan.local(session["starts_at"]), plan.local(session["ends_at"])
            assert starts.weekday() == slot["weekday"]  # never a week-end
            assert (starts.time(), ends.time()) == (start, end)
            assert starts.date().isoformat() == session["slot_date"]
            assert session["slot_date"] not in skipped
            assert session["bays"] == 4 and session["booked"] == 0
    assert sorted(s["slot_date"] for s in plan.of_slot(listed, january)) == [
        "2027-01-06",
        "2027-01-13",
        "2027-01-20",
        "2027-01-27",
    ]

    # 08:00 in Paris on both sides of the last Sundays of October and of March.
    by_date = {s["slot_date"]: s for s in plan.of_slot(listed, tuesday)}
    assert plan.utc_hour(by_date["2026-10-13"]["starts_at"]) == 6  # summer time (UTC+2)
    assert plan.utc_hour(by_date["2026-11-03"]["starts_at"]) == 7  # winter time (UTC+1)
    assert plan.utc_hour(by_date["2027-03-23"]["starts_at"]) == 7
    assert plan.utc_hour(by_date["2027-03-30"]["starts_at"]) == 6
    assert plan.utc_hour(by_date["2027-03-30"]["ends_at"]) == 10

    second = await plan.generate(YEAR_START, YEAR_END)
    assert second["created"] == 0
    assert second["already_existed"] == 36 + 35 + 4
    assert second["skipped"] == first["skipped"]
    assert len(await plan.sessions_between(YEAR_START, YEAR_END)) == len(listed)


# --- sessions changed by hand ----------------------------------------------------------------

AUTUMN_START, AUTUMN_END = date(2027, 9, 1), date(2027, 10, 15)  # no closed Thursday


async def test_sessions_changed_by_hand_are_left_alone_by_generation(plan: Any) -> None:
    slot = await plan.create_slot(plan.slot_body(3, "09:00", "12:00", AUTUMN_START, AUTUMN_END))
    assert (await plan.generate(AUTUMN_START, AUTUMN_END))["created"] == 7
    generated = {
        s["slot_date"]: s
        for s in plan.of_slot(await plan.sessions_between(AUTUMN_START, AUTUMN_END), slot)
    }
    assert sorted(generated) == [
        "2027-09-02",
        "2027-09-09",
        "2027-09-16",
        "2027-09-23",
        "2027-09-30",
        "2027-10-07",
        "2027-10-14",
    ]

    # Moved from Thursday 9 to Tuesday 14 September, 10:00-12:00 local, 3 bays.
    moved_path = f"{SESSIONS}/{generated['2027-09-09']['id']}"
    etag = await plan.etag(moved_path)
    moved = await plan.write(
        "PATCH",
        moved_path,
        etag,
        json={
            "starts_at": "2027-09-14T10:00:00+02:00",
            "ends_at": "2027-09-14T12:00:00+02:00",
            "bays": 3,
        },
    )
    assert moved.status_code == 200, moved.text
    assert moved.headers["ETag"] != etag
    assert moved.json()["slot_id"] == slot["id"] and moved.json()["slot_date"] == "2027-09-09"

    # Deleted: a generated session is cancelled, out of every list and read.
    cancelled_path = f"{SESSIONS}/{generated['2027-09-16']['id']}"
    deleted = await plan.write("DELETE", cancelled_path, await plan.etag(cancelled_path))
    assert deleted.status_code == 204, deleted.text
    assert (await plan.get(cancelled_path)).status_code == 404

    again = await plan.generate(AUTUMN_START, AUTUMN_END)
    assert again == {"created": 0, "already_existed": 7, "skipped": []}
    now = {
        s["slot_date"]: s
        for s in plan.of_slot(await plan.sessions_between(AUTUMN_START, AUTUMN_END), slot)
    }
    assert sorted(now) == sorted(set(generated) - {"2027-09-16"})
    assert plan.local(now["2027-09-09"]["starts_at"]) == datetime(2027, 9, 14, 10, tzinfo=PARIS)
    assert now["2027-09-09"]["bays"] == 3
    assert not any(plan.local(s["starts_at"]).date() == date(2027, 9, 9) for s in now.values())

    # A cancelled session takes no booking.
    number = await plan.accepted()
    refused = await plan.kit.act(number, "schedule", session_ids=[generated["2027-09-16"]["id"]])
    assert refused.status_code == 422 and refused.json()["field"] == "session_ids"

    # Moving onto a closed day is refused with the French reason, and changes nothing.
    kept = f"{SESSIONS}/{generated['2027-09-23']['id']}"
    before = await plan.get(kept)
    closed = await plan.write(
        "PATCH",
        kept,
        before.headers["ETag"],
        json={"starts_at": "2027-12-24T09:00:00+01:00", "ends_at": "2027-12-24T12:00:00+01:00"},
    )
    assert closed.status_code == 422, closed.text
    assert closed.json()["field"] == "starts_at"
    assert closed.json()["errors"][0]["field"] == "starts_at"
    assert "Vacances de Noël" in closed.json()["detail"]
    after = await plan.get(kept)
    assert after.json() == before.json() and after.headers["ETag"] == before.headers["ETag"]

    # The slot goes: its sessions stay, unlinked (their ETag changed), and nothing comes back.
    slot_path = f"{SLOTS}/{slot['id']}"
    gone = await plan.write("DELETE", slot_path, await plan.etag(slot_path))
    assert gone.status_code == 204, gone.text
    assert (await plan.get(slot_path)).status_code == 404
    unlinked = await plan.get(kept)
    assert unlinked.json()["slot_id"] is None
    assert unlinked.headers["ETag"] != before.headers["ETag"]
    assert (await plan.generate(AUTUMN_START, AUTUMN_END))["created"] == 0
    for session in now.values():
        read = await plan.get(f"{SESSIONS}/{session['id']}")
        assert read.status_code == 200 and read.json()["slot_id"] is None


# --- slots -------------------------------------------------------------------------------------

WINTER_START, WINTER_END = date(2028, 1, 10), date(2028, 1, 21)


@pytest.mark.parametrize("method", ["PATCH", "DELETE"])
async def test_slot_writes_need_the_etag_read(plan: Any, method: str) -> None:
    slot = await plan.create_slot(plan.slot_body(0, "08:00", "12:00", WINTER_START, WINTER_END))
    path = f"{SLOTS}/{slot['id']}"
    kwargs: dict[str, Any] = {"json": {"bays": 6}} if method == "PATCH" else {}
    done = await plan.write_needing_the_etag(method, path, **kwargs)
    if method == "PATCH":
        assert done.json()["bays"] == 6


async def test_a_slot_patch_changes_only_what_is_sent(plan: Any) -> None:
    slot = await plan.create_slot(
        plan.slot_body(2, "08:00", "12:00", date(2028, 2, 1), date(2028, 2, 29))
    )
    path = f"{SLOTS}/{slot['id']}"
    changed = await plan.write(
        "PATCH", path, await plan.etag(path), json={"end_time": "11:30", "valid_until": None}
    )
    assert changed.status_code == 200, changed.text
    assert changed.json() == {**slot, "end_time": "11:30:00", "valid_until": None}
    # Cross-field rules hold against what is stored: a start after the 11:30 end is not.
    late = await plan.write("PATCH", path, changed.headers["ETag"], json={"start_time": "12:00"})
    assert late.status_code == 422, late.text
    assert late.json()["field"] == "start_time"
    assert (await plan.get(path)).json() == changed.json()
    nulled = await plan.write("PATCH", path, changed.headers["ETag"], json={"teacher": None})
    assert nulled.status_code == 422 and nulled.json()["errors"][0]["field"] == "teacher"
    # Open-ended now: out of the other tests' generations.
    assert (await plan.write("DELETE", path, changed.headers["ETag"])).status_code == 204


async def test_slots_are_listed_by_weekday_a_page_at_a_time(plan: Any) -> None:
    window = (date(2030, 3, 1), date(2030, 3, 31))
    group = "Liste 2030"
    for weekday in (4, 0, 2):
        await plan.create_slot(
            plan.slot_body(weekday, "08:00", "10:00", *window, student_group=group)
        )
    first = await plan.get(f"{SLOTS}?student_group={group}&limit=2")
    assert first.status_code == 200, first.text
    assert [s["weekday"] for s in first.json()["items"]] == [0, 2]
    rest = await plan.get(f"{SLOTS}?student_group={group}&cursor={first.json()['next_cursor']}")
    assert [s["weekday"] for s in rest.json()["items"]] == [4]
    assert rest.json()["next_cursor"] is None
    assert (await plan.get(f"{SLOTS}?cursor=not-ours")).status_code == 422


async def test_a_slot_create_can_be_retried(plan: Any) -> None:
    body = plan.slot_body(1, "10:00", "12:00", date(2030, 4, 1), date(2030, 4, 30))
    first = await plan.post(SLOTS, body, **{"Idempotency-Key": "slot-retry-1"})
    retried = await plan.post(SLOTS, body, **{"Idempotency-Key": "slot-retry-1"})
    assert first.status_code == retried.status_code == 201
    assert retried.headers["Idempotent-Replayed"] == "true"
    assert retried.json() == first.json() and retried.headers["ETag"] == first.headers["ETag"]
    other = await plan.post(SLOTS, {**body, "bays": 2}, **{"Idempotency-Key": "slot-retry-1"})
    assert other.status_code == 422, other.text


# --- bad input -------------------------------------------------------------------------------

GOOD_SLOT = {
    "weekday": 0,
    "start_time": "08:00",
    "end_time": "12:00",
    "student_group": "BTS MV 1",
    "teacher": "prof1",
    "bays": 2,
    "valid_from": "2029-01-01",
    "valid_until": "2029-01-31",
}


@pytest.mark.parametrize(
    ("path", "body", "field"),
    [
        (SLOTS, {**GOOD_SLOT, "weekday": 5}, "weekday"),  # Saturday
        (SLOTS, {**GOOD_SLOT, "weekday": 6}, "weekday"),
        (SLOTS, {**GOOD_SLOT, "end_time": "08:00"}, "end_time"),
        (SLOTS, {**GOOD_SLOT, "start_time": "08:00+02:00"}, "start_time"),
        (SLOTS, {**GOOD_SLOT, "valid_until": "2028-12-31"}, "valid_until"),
        (SLOTS, {**GOOD_SLOT, "bays": 0}, "bays"),
        (SLOTS, {**GOOD_SLOT, "teacher": ""}, "teacher"),
        (SLOTS, {**GOOD_SLOT, "teacher": "prof\x00"}, "teacher"),
        (SLOTS, {**GOOD_SLOT, "valid_from": "1999-12-31", "valid_until": None}, "valid_from"),
        (GENERATE, {"start": "2029-01-10", "end": "2029-01-09"}, "end"),
        (GENERATE, {"start": "2029-01-01", "end": "2030-02-05"}, "end"),  # 401 days
        (GENERATE, {"end": "2029-01-09"}, "start"),
        (GENERATE, {"start": "2029-01-01", "end": "not a date"}, "end"),
    ],
)
async def test_bad_input_is_a_422_naming_the_field(
    plan: Any, path: str, body: dict[str, Any], field: str
) -> None:
    response = await plan.post(path, body)
    assert response.status_code == 422, response.text
    problem = response.json()
    assert field in [error["field"] for error in problem["errors"]], problem
    assert field in problem["detail"]


async def test_400_days_is_the_widest_generation(plan: Any) -> None:
    # Far from every other test's slots: nothing to create, but accepted.
    widest = await plan.generate(date(2031, 1, 1), date(2032, 2, 4))
    assert widest == {"created": 0, "already_existed": 0, "skipped": []}
