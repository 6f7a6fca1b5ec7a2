"""A site's calendar: built from the park's opening hours, checked, and fed with school
holidays from the shipped data or from an admin's CSV file."""

from __future__ import annotations

import os
from datetime import UTC, date, time, timedelta
from pathlib import Path

import pytest

from ticketing.sla.business_time import (
    CLOSED_HOURS,
    DEFAULT_OPENING_HOURS,
    OPEN,
    WEEK_END,
    SiteCalendar,
    business_time,
    load_school_holidays,
    school_calendar_ends,
    segments,
)

from .conftest import COLLEGE_HOURS, PARIS, minutes, paris

HEADER = "date,vacances_zone_a,vacances_zone_b,vacances_zone_c,nom_vacances\n"
# A made-up week off for zone B only, Monday 15 to Friday 19 March 2027 (term time in the
# shipped data), and a school day listed as such, as the shipped file lists every day.
MADE_UP = (
    HEADER
    + "2027-03-12,False,False,False,\n"
    + "".join(
        f"2027-03-{day},False,True,False,Semaine de l'informatique\n" for day in range(15, 20)
    )
)
WEEK = (paris(2027, 3, 15), paris(2027, 3, 20))  # Monday 00:00 -> Saturday 00:00
SHIPPED_WINTER_WEEK = (paris(2027, 3, 1), paris(2027, 3, 6))  # zone B's, shipped


def write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


# --- opening hours ---------------------------------------------------------------------------


def test_opening_hours_come_from_the_park() -> None:
    calendar = SiteCalendar.from_park(PARIS, "B", "45", COLLEGE_HOURS)
    assert calendar.opening_hours[1] == ((time(8), time(12)), (time(13, 30), time(17, 30)))
    assert calendar.opening_hours[2] == ((time(8), time(12)),)
    assert 5 not in calendar.opening_hours
    assert calendar.school_holidays is load_school_holidays()


def test_a_site_without_hours_opens_monday_to_friday_8_to_18() -> None:
    calendar = SiteCalendar.from_park(PARIS, "B", None, [])
    assert calendar.opening_hours == DEFAULT_OPENING_HOURS
    # Wednesday 17 March 2027, 08:00-18:00: 600 min; Saturday 20 March: none.
    assert business_time(calendar, paris(2027, 3, 17), paris(2027, 3, 18)) == minutes(600)
    assert business_time(calendar, paris(2027, 3, 20), paris(2027, 3, 21)) == timedelta()


def test_ranges_are_put_in_order_and_short_times_are_read() -> None:
    hours = [
        {
            "weekday": 0,
            "ranges": [{"start": "14:00", "end": "16:00"}, {"start": "09:00", "end": "11:00"}],
        }
    ]
    calendar = SiteCalendar.from_park(PARIS, "A", None, hours)
    assert calendar.opening_hours[0] == ((time(9), time(11)), (time(14), time(16)))


def test_ranges_that_touch_read_as_one_opening() -> None:
    hours = [
        {
            "weekday": 0,
            "ranges": [{"start": "08:00", "end": "12:00"}, {"start": "12:00", "end": "14:00"}],
        }
    ]
    calendar = SiteCalendar.from_park(PARIS, "B", None, hours)
    # Monday 15 March 2027: 08:00-14:00 = 360 min, with no lunch break between.
    found = segments(calendar, paris(2027, 3, 15, 7), paris(2027, 3, 15, 15))
    assert [(s.reason, s.duration) for s in found] == [
        (CLOSED_HOURS, minutes(60)),
        (OPEN, minutes(360)),
        (CLOSED_HOURS, minutes(60)),
    ]


def test_a_site_open_on_saturday_counts_it() -> None:
    # Monday and Saturday mornings only: Saturday 20 March 2027 counts 08:00-12:00, and
    # Tuesday to Friday, weekdays without hours, are closed hours rather than a week-end.
    morning = [{"start": "08:00", "end": "12:00"}]
    calendar = SiteCalendar.from_park(
        PARIS, "B", None, [{"weekday": 0, "ranges": morning}, {"weekday": 5, "ranges": morning}]
    )
    assert business_time(calendar, paris(2027, 3, 16), paris(2027, 3, 22)) == minutes(240)
    assert calendar.closure(date(2027, 3, 17)) == CLOSED_HOURS
    assert calendar.closure(date(2027, 3, 20)) is None
    assert calendar.closure(date(2027, 3, 21)) == WEEK_END


@pytest.mark.parametrize(
    ("school_zone", "hours", "message"),
    [
        ("D", {0: ((time(8), time(12)),)}, "school zone"),
        ("B", {7: ((time(8), time(12)),)}, "weekday 7"),
        ("B", {0: ((time(12), time(8)),)}, "ends before it starts"),
        ("B", {0: ((time(8), time(8)),)}, "ends before it starts"),
        ("B", {0: ((time(8), time(12)), (time(11), time(14)))}, "out of order"),
        ("B", {0: ((time(8, tzinfo=UTC), time(12)),)}, "wall-clock"),
        ("B", {}, "no opening hours"),
        ("B", {0: ()}, "no opening hours"),
    ],
)
def test_a_calendar_is_checked(
    school_zone: str, hours: dict[int, tuple[tuple[time, time], ...]], message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        SiteCalendar(PARIS, school_zone, None, hours)


# --- school holidays -------------------------------------------------------------------------


def test_the_shipped_data_is_parsed_once() -> None:
    shipped = load_school_holidays()
    assert load_school_holidays(None) is shipped
    assert shipped.source == "vacances-scolaires-france"
    assert school_calendar_ends() == shipped.ends == max(shipped.days)


def test_an_admins_file_replaces_the_shipped_data(tmp_path: Path) -> None:
    data = load_school_holidays(write(tmp_path / "vacances.csv", MADE_UP))
    calendar = SiteCalendar.from_park(PARIS, "B", "45", COLLEGE_HOURS, school_holidays=data)
    shipped = SiteCalendar.from_park(PARIS, "B", "45", COLLEGE_HOURS)
    # The made-up week: 2,160 min in term time, none now.
    assert business_time(shipped, *WEEK) == minutes(2160)
    assert business_time(calendar, *WEEK) == timedelta()
    assert [s.reason for s in segments(calendar, *WEEK)] == [
        "vacances scolaires (Semaine de l'informatique, zone B)"
    ]
    # Zone B's shipped winter week is gone: 2,160 min again.
    assert business_time(shipped, *SHIPPED_WINTER_WEEK) == timedelta()
    assert business_time(calendar, *SHIPPED_WINTER_WEEK) == minutes(2160)
    # The file ends with its last holiday: past Friday 19 March, every school day counts.
    assert school_calendar_ends(data) == date(2027, 3, 19)
    assert calendar.closure(date(2027, 7, 26)) is None  # a Monday of the summer holidays
    # Public holidays do not come from that file.
    assert calendar.closure(date(2027, 3, 29)) == "jour férié (Lundi de Pâques)"
    # Other zones are not on holiday that week.
    zone_a = SiteCalendar.from_park(PARIS, "A", "45", COLLEGE_HOURS, school_holidays=data)
    assert business_time(zone_a, *WEEK) == minutes(2160)


def test_a_file_is_read_once_until_it_changes(tmp_path: Path) -> None:
    path = write(tmp_path / "vacances.csv", MADE_UP)
    first = load_school_holidays(path)
    assert load_school_holidays(path) is first
    write(path, MADE_UP + "2027-03-22,False,True,False,Semaine de l'informatique\n")
    stat = path.stat()
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000_000))
    assert school_calendar_ends(load_school_holidays(path)) == date(2027, 3, 22)


def test_a_byte_order_mark_is_tolerated(tmp_path: Path) -> None:
    path = tmp_path / "vacances.csv"
    path.write_text(MADE_UP, encoding="utf-8-sig")  # what a spreadsheet saves
    assert school_calendar_ends(load_school_holidays(path)) == date(2027, 3, 19)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("date,vacances_zone_a,vacances_zone_b,nom_vacances\n", "missing column.*vacances_zone_c"),
        (HEADER + "15/03/2027,False,True,False,Test\n", "line 2: date '15/03/2027'"),
        (HEADER + "2027-03-15,False,oui,False,Test\n", "line 2: vacances_zone_b is 'oui'"),
        (HEADER + "2027-03-15,False,True,False,\n", "line 2: a holiday needs its name"),
        (HEADER + "2027-03-15,False,True,False,Test\n" * 2, "line 3: 2027-03-15 is listed twice"),
        (HEADER + "2027-03-15,False,False,False,\n", "no school holiday listed"),
    ],
)
def test_a_malformed_file_is_refused_saying_where(tmp_path: Path, text: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        load_school_holidays(write(tmp_path / "vacances.csv", text))
