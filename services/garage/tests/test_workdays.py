from __future__ import annotations

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from garage.workdays import add_working_days, closure_reason, end_of_day

PARIS = ZoneInfo("Europe/Paris")


@pytest.mark.parametrize(
    ("day", "reason"),
    [
        (date(2026, 12, 25), "jour férié (Noël)"),
        (date(2027, 5, 6), "jour férié (Ascension)"),
        (date(2027, 3, 13), "week-end"),
        (date(2026, 12, 22), "Vacances de Noël (zone B)"),
        (date(2027, 3, 16), None),
    ],
)
def test_closures_are_said_in_french(day: date, reason: str | None) -> None:
    assert closure_reason(day, "B") == reason


def test_school_holidays_follow_the_zone() -> None:
    # Winter 2027: zone C is back on Monday 22 February, zone A a week later.
    assert closure_reason(date(2027, 2, 23), "A") == "Vacances d'hiver (zone A)"
    assert closure_reason(date(2027, 2, 23), "C") is None


def test_alsace_moselle_has_its_own_public_holidays() -> None:
    boxing_day = date(2028, 12, 26)  # a Tuesday, in the Christmas holidays everywhere
    good_friday = date(2027, 3, 26)  # a Friday in term time in zone B
    assert closure_reason(good_friday, "B") is None
    assert closure_reason(good_friday, "B", department="67") == "jour férié (Vendredi saint)"
    assert closure_reason(boxing_day, "B", department="57") == "jour férié (Saint-Étienne)"


def test_working_days_skip_week_ends_public_and_school_holidays() -> None:
    assert add_working_days(date(2027, 3, 15), 2, "B") == date(2027, 3, 17)  # Mon -> Wed
    assert add_working_days(date(2027, 3, 19), 2, "B") == date(2027, 3, 23)  # Fri -> Tue
    assert add_working_days(date(2027, 3, 20), 2, "B") == date(2027, 3, 23)  # Sat -> Tue
    # Friday 18 December 2026, then the Christmas holidays until Monday 4 January 2027.
    assert add_working_days(date(2026, 12, 18), 2, "B") == date(2027, 1, 5)


def test_past_the_published_school_calendar_school_days_count() -> None:
    assert closure_reason(date(2031, 2, 18), "B") is None  # a Tuesday, no data that far


@pytest.mark.parametrize(
    ("day", "utc_offset_hours"),
    [
        (date(2027, 3, 27), 1),  # the night of the spring change ends at 00:00 CET
        (date(2027, 3, 28), 2),  # the change's own day ends at 00:00 CEST
        (date(2027, 10, 30), 2),
        (date(2027, 10, 31), 1),
    ],
)
def test_a_day_ends_at_local_midnight_across_dst(day: date, utc_offset_hours: int) -> None:
    end = end_of_day(day, PARIS)
    assert end.astimezone(PARIS).replace(tzinfo=None) == datetime.combine(
        day + timedelta(days=1), time(0)
    )
    offset = end.utcoffset()
    assert offset is not None and offset.total_seconds() == utc_offset_hours * 3600
