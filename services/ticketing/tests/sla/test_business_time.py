"""Business time on a collège's calendar, worked out by hand: the collège of `conftest.py`
(Mon, Tue, Thu, Fri 08:00-12:00 + 13:30-17:30 = 480 min; Wed 08:00-12:00 = 240 min), zone
B, département 45 (Loiret) unless a test says otherwise. School holidays are those shipped
with vacances-scolaires-france (their dates are quoted where a test relies on them)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from itertools import count, pairwise

import pytest

from ticketing.sla.business_time import (
    CLOSED_HOURS,
    LUNCH_BREAK,
    OPEN,
    WEEK_END,
    Segment,
    add_business_time,
    business_time,
    school_calendar_ends,
    segments,
)

from .conftest import college, minutes, paris

DAY_MINUTES = {0: 480, 1: 480, 2: 240, 3: 480, 4: 480, 5: 0, 6: 0}


def explained(found: list[Segment]) -> list[tuple[datetime, datetime, bool, str]]:
    return [(s.start, s.end, s.counted, s.reason) for s in found]


def whole_day(day: date) -> tuple[datetime, datetime]:
    start = paris(day.year, day.month, day.day)
    after = day + timedelta(days=1)
    return start, paris(after.year, after.month, after.day)


# --- spans -----------------------------------------------------------------------------------


def test_the_week_end_is_not_counted() -> None:
    # Friday 12 March 2027 16:00 -> Monday 15 March 09:00 (term time in zone B):
    # Friday 16:00-17:30 = 90 min, Monday 08:00-09:00 = 60 min: 150 min.
    start, end = paris(2027, 3, 12, 16), paris(2027, 3, 15, 9)
    assert business_time(college(), start, end) == minutes(150)
    assert explained(segments(college(), start, end)) == [
        (start, paris(2027, 3, 12, 17, 30), True, OPEN),
        (paris(2027, 3, 12, 17, 30), paris(2027, 3, 13), False, CLOSED_HOURS),
        (paris(2027, 3, 13), paris(2027, 3, 15), False, WEEK_END),
        (paris(2027, 3, 15), paris(2027, 3, 15, 8), False, CLOSED_HOURS),
        (paris(2027, 3, 15, 8), end, True, OPEN),
    ]


def test_the_lunch_break_is_not_counted() -> None:
    # Tuesday 16 March 2027 11:00 -> 14:00: 11:00-12:00 = 60, 13:30-14:00 = 30: 90 min.
    start, end = paris(2027, 3, 16, 11), paris(2027, 3, 16, 14)
    assert business_time(college(), start, end) == minutes(90)
    assert explained(segments(college(), start, end)) == [
        (start, paris(2027, 3, 16, 12), True, OPEN),
        (paris(2027, 3, 16, 12), paris(2027, 3, 16, 13, 30), False, LUNCH_BREAK),
        (paris(2027, 3, 16, 13, 30), end, True, OPEN),
    ]


def test_wednesday_afternoon_is_closed_until_thursday_morning() -> None:
    # Wednesday 17 March 2027 11:00 -> Thursday 09:00: 60 + 60 = 120 min; no lunch break on
    # a day of one range, and the closed afternoon, evening and night read as one span.
    start, end = paris(2027, 3, 17, 11), paris(2027, 3, 18, 9)
    assert business_time(college(), start, end) == minutes(120)
    assert explained(segments(college(), start, end))[1] == (
        paris(2027, 3, 17, 12),
        paris(2027, 3, 18, 8),
        False,
        CLOSED_HOURS,
    )


def test_easter_monday_is_a_public_holiday() -> None:
    # Friday 26 March 2027 16:00 -> Tuesday 30 March 09:00, zone B in term time (winter
    # holidays ended on 7 March, spring ones start on 17 April): Friday 90 + Tuesday 60 =
    # 150 min; Monday 29 March, Lundi de Pâques, counts nothing. Summer time starts on
    # Sunday 28 March: the week-end lasts 47 hours.
    start, end = paris(2027, 3, 26, 16), paris(2027, 3, 30, 9)
    assert business_time(college(), start, end) == minutes(150)
    found = segments(college(), start, end)
    assert explained(found)[2:4] == [
        (paris(2027, 3, 27), paris(2027, 3, 29), False, WEEK_END),
        (paris(2027, 3, 29), paris(2027, 3, 30), False, "jour férié (Lundi de Pâques)"),
    ]
    assert found[2].duration == timedelta(hours=47)


@pytest.mark.parametrize(
    ("day", "reason"),
    [
        (date(2027, 5, 6), "jour férié (Ascension)"),  # also the Pont de l'Ascension
        (date(2027, 5, 17), "jour férié (Lundi de Pentecôte)"),
        (date(2027, 7, 14), "jour férié (Fête nationale)"),  # also the summer holidays
        (date(2027, 5, 7), "vacances scolaires (Pont de l'Ascension, zone B)"),
        (date(2027, 3, 13), WEEK_END),
        (date(2027, 3, 16), None),
    ],
)
def test_closures_are_said_in_french(day: date, reason: str | None) -> None:
    assert college().closure(day) == reason


@pytest.mark.parametrize("department", ["57", "67", "68"])
def test_alsace_moselle_keeps_good_friday(department: str) -> None:
    # Vendredi saint, Friday 26 March 2027: term time in zone B (see above), so nothing but
    # the département tells the two schools apart: 480 min in the Loiret, none in
    # Alsace-Moselle.
    start, end = whole_day(date(2027, 3, 26))
    assert business_time(college(department="45"), start, end) == minutes(480)
    assert business_time(college(department=department), start, end) == timedelta()
    assert [s.reason for s in segments(college(department=department), start, end)] == [
        "jour férié (Vendredi saint)"
    ]


def test_boxing_day_in_alsace_moselle() -> None:
    # Every 26 December the data covers falls in the Christmas holidays of every zone, so
    # both schools count nothing on Friday 26 December 2025; the public holiday is the
    # reason given first.
    start, end = whole_day(date(2025, 12, 26))
    assert [s.reason for s in segments(college(department="45"), start, end)] == [
        "vacances scolaires (Vacances de Noël, zone B)"
    ]
    assert [s.reason for s in segments(college(department="57"), start, end)] == [
        "jour férié (Saint-Étienne)"
    ]
    # Past the data's end, no school holiday hides it: the first weekday 26 December after
    # it (26 December 2028, a Tuesday, with vacances-scolaires-france 0.12) is a whole day
    # of 480 min in the Loiret and a public holiday in Moselle.
    boxing_day = next(
        day
        for year in count(school_calendar_ends().year)
        if (day := date(year, 12, 26)) > school_calendar_ends() and day.weekday() < 5
    )
    start, end = whole_day(boxing_day)
    assert business_time(college(department="45"), start, end) == minutes(
        DAY_MINUTES[boxing_day.weekday()]
    )
    assert business_time(college(department="57"), start, end) == timedelta()
    assert college(department="57").closure(boxing_day) == "jour férié (Saint-Étienne)"


@pytest.mark.parametrize(
    ("monday", "school_zone", "expected"),
    [
        # Winter 2027: zone C off 6-21 February, A 13-28 February, B 20 February-7 March.
        (date(2027, 3, 1), "B", 0),
        (date(2027, 3, 1), "A", 2160),
        (date(2027, 3, 1), "C", 2160),
        (date(2027, 2, 22), "B", 0),
        (date(2027, 2, 22), "A", 0),
        (date(2027, 2, 22), "C", 2160),
    ],
)
def test_school_holidays_follow_the_zone(monday: date, school_zone: str, expected: int) -> None:
    # Monday 00:00 -> Saturday 00:00: 480 + 480 + 240 + 480 + 480 = 2,160 min in term time.
    start, _ = whole_day(monday)
    end, _ = whole_day(monday + timedelta(days=5))
    assert business_time(college(school_zone), start, end) == minutes(expected)


def test_a_fortnight_of_holidays_reads_as_one_span() -> None:
    # Friday 19 February 2027 16:00 -> Monday 8 March 09:00, zone B: 90 + 60 = 150 min,
    # the holidays one span from Saturday 20 February to Monday 8 March, week-ends included.
    start, end = paris(2027, 2, 19, 16), paris(2027, 3, 8, 9)
    assert business_time(college(), start, end) == minutes(150)
    assert explained(segments(college(), start, end))[2] == (
        paris(2027, 2, 20),
        paris(2027, 3, 8),
        False,
        "vacances scolaires (Vacances d'hiver, zone B)",
    )


def test_opening_hours_are_local_across_the_spring_change() -> None:
    # Summer time starts on Sunday 29 March 2026 (term time in zone B). Friday 27 March
    # 16:00 -> Monday 30 March 09:00: Friday 90 min (CET) + Monday 08:00-09:00 CEST 60 min
    # = 150 min, though 64 hours pass, not 65; Monday opens at 06:00 UTC, not 07:00.
    start, end = paris(2026, 3, 27, 16), paris(2026, 3, 30, 9)
    assert business_time(college(), start, end) == minutes(150)
    found = segments(college(), start, end)
    assert found[-1].start == datetime(2026, 3, 30, 6, tzinfo=UTC)
    assert found[2].reason == WEEK_END
    assert found[2].duration == timedelta(hours=47)
    # (`end - start` would say 65 hours: Python subtracts two Paris times by their clocks.)
    assert sum((s.duration for s in found), timedelta()) == timedelta(hours=64)
    # A whole Monday after the change is still 480 min.
    assert business_time(college(), *whole_day(date(2026, 3, 30))) == minutes(480)


def test_the_autumn_change_lengthens_a_closed_span() -> None:
    # Toussaint 2027, all zones: Saturday 23 October to Sunday 7 November; winter time on
    # Sunday 31 October, Toussaint (a public holiday) on Monday 1 November.
    start, end = paris(2027, 10, 22, 16), paris(2027, 11, 8, 9)
    assert business_time(college(), start, end) == minutes(150)  # Friday 90 + Monday 60
    found = segments(college(), start, end)
    assert [s.reason for s in found[2:5]] == [
        "vacances scolaires (Vacances de la Toussaint, zone B)",
        "jour férié (Toussaint)",
        "vacances scolaires (Vacances de la Toussaint, zone B)",
    ]
    assert found[2].duration == timedelta(days=9, hours=1)


def test_segments_cover_the_span_and_add_up() -> None:
    # Three weeks in a Moselle school of zone A, Monday 22 March 2027 10:00 -> Monday 12
    # April 10:00, with every kind of reason:
    #   week 1: Mon 120 + 240 = 360, Tue 480, Wed 240, Thu 480, Fri 26 Vendredi saint 0 = 1,560
    #   week 2: Mon 29 Lundi de Pâques 0, Tue 480, Wed 240, Thu 480, Fri 480          = 1,680
    #   week 3: Mon 5 - Fri 9 April, term time                                          = 2,160
    #   zone A's spring holidays from Saturday 10 April: Monday 12 April 0
    # 5,400 min = 90 hours; summer time on Sunday 28 March makes the span 503 hours long.
    calendar = college("A", "57")
    start, end = paris(2027, 3, 22, 10), paris(2027, 4, 12, 10)
    found = segments(calendar, start, end)
    assert found[0].start == start
    assert found[-1].end == end
    assert all(a.end == b.start for a, b in pairwise(found))
    assert all(a.reason != b.reason for a, b in pairwise(found))
    assert all(s.start < s.end for s in found)
    assert all(s.counted == (s.reason == OPEN) for s in found)
    assert sum((s.duration for s in found), timedelta()) == timedelta(hours=503)
    counted = sum((s.duration for s in found if s.counted), timedelta())
    assert counted == business_time(calendar, start, end) == minutes(5400)
    assert end.astimezone(UTC) - start.astimezone(UTC) == timedelta(hours=503)
    assert {s.reason for s in found} == {
        OPEN,
        LUNCH_BREAK,
        CLOSED_HOURS,
        WEEK_END,
        "jour férié (Vendredi saint)",
        "jour férié (Lundi de Pâques)",
        "vacances scolaires (Vacances de printemps, zone A)",
    }


def test_an_empty_span_counts_nothing() -> None:
    instant = paris(2027, 3, 16, 10)
    assert segments(college(), instant, instant) == []
    assert business_time(college(), instant, instant) == timedelta()


def test_instants_in_any_zone_are_the_same_instants() -> None:
    # 10:00 in Paris in March is 09:00 UTC: Tuesday 16 March 2027 10:00-11:00 is 60 min.
    start = datetime(2027, 3, 16, 9, tzinfo=UTC)
    assert business_time(college(), start, paris(2027, 3, 16, 11)) == minutes(60)
    assert segments(college(), start, start + timedelta(hours=1))[0].start == start


@pytest.mark.parametrize(
    ("start", "end"),
    [
        (datetime(2027, 3, 16, 10), paris(2027, 3, 16, 11)),  # naive start
        (paris(2027, 3, 16, 10), datetime(2027, 3, 16, 11)),  # naive end
        (paris(2027, 3, 16, 11), paris(2027, 3, 16, 10)),  # end before start
    ],
)
def test_a_span_must_be_aware_and_in_order(start: datetime, end: datetime) -> None:
    with pytest.raises(ValueError):
        segments(college(), start, end)
    with pytest.raises(ValueError):
        business_time(college(), start, end)


# --- past the school-holiday data -------------------------------------------------------------


def test_past_the_data_school_days_are_working_days() -> None:
    # Two years past the data's end, the week of the last Monday of July and the week of
    # the third Monday of February, holidays in every zone every year, count as term time.
    ends = school_calendar_ends()
    for month, first in ((7, 25), (2, 15)):
        monday = date(ends.year + 2, month, first)
        monday += timedelta(days=-monday.weekday() % 7)
        assert monday > ends
        for school_zone in ("A", "B", "C"):
            start, _ = whole_day(monday)
            end, _ = whole_day(monday + timedelta(days=5))
            assert business_time(college(school_zone), start, end) == minutes(2160)


def test_the_data_ends_with_its_last_holiday() -> None:
    # With vacances-scolaires-france 0.12: the summer holidays that end on 31 August 2028.
    # The file goes on to 31 December 2028, but without the next year's Toussaint and
    # Christmas holidays: the data does not cover those months.
    ends = school_calendar_ends()
    for school_zone in ("A", "B", "C"):
        calendar = college(school_zone)
        reasons = [calendar.closure(ends + timedelta(days=n)) for n in range(-6, 366)]
        holidays = [r is not None and r.startswith("vacances scolaires") for r in reasons]
        assert any(holidays[:7]), school_zone  # the week that ends with `ends`
        assert not any(holidays[7:]), school_zone


# --- deadlines -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("start", "duration", "deadline"),
    [
        # Tuesday 16 March 2027 10:00 + 8 h: Tuesday 120 + 240 = 360, Wednesday 08:00-10:00.
        (paris(2027, 3, 16, 10), timedelta(hours=8), paris(2027, 3, 17, 10)),
        # From 14:00, Tuesday 210 + Wednesday's half day 240 = 450: Thursday 08:30.
        (paris(2027, 3, 16, 14), timedelta(hours=8), paris(2027, 3, 18, 8, 30)),
        # From 13:30, 240 + 240: the deadline is Wednesday's closing time, not Thursday.
        (paris(2027, 3, 16, 13, 30), timedelta(hours=8), paris(2027, 3, 17, 12)),
        # Friday 12 March 17:00 + 1 h: Friday 30 min, Monday 08:00-08:30.
        (paris(2027, 3, 12, 17), timedelta(hours=1), paris(2027, 3, 15, 8, 30)),
        # Before opening: Tuesday 06:00 + 2 h = 10:00.
        (paris(2027, 3, 16, 6), timedelta(hours=2), paris(2027, 3, 16, 10)),
        # In the lunch break: 12:15 + 1 h = 14:30.
        (paris(2027, 3, 16, 12, 15), timedelta(hours=1), paris(2027, 3, 16, 14, 30)),
        # Friday 26 March 17:00 + 1 h: Friday 30 min, Easter Monday skipped, Tuesday 08:30.
        (paris(2027, 3, 26, 17), timedelta(hours=1), paris(2027, 3, 30, 8, 30)),
        # Friday 19 February 17:00 + 1 h: the zone-B winter holidays, Monday 8 March 08:30.
        (paris(2027, 2, 19, 17), timedelta(hours=1), paris(2027, 3, 8, 8, 30)),
        # Ten full weeks' worth (10 x 2,160 = 21,600 min) from Monday 8 March 08:00:
        #   8, 15, 22 March (Vendredi saint is no holiday in the Loiret)   3 x 2,160 = 6,480
        #   29 March (Lundi de Pâques)                                          1,680
        #   5 and 12 April                                                  2 x 2,160 = 4,320
        #   17 April - 2 May: zone B's spring holidays                              0
        #   3 May (Ascension Thursday and its bridge Friday)                    1,200
        #   10 May                                                              2,160
        #   17 May (Lundi de Pentecôte)                                         1,680
        #   24 May                                                              2,160
        # = 19,680; 1,920 left: Monday-Thursday 31 May-3 June 1,680, then Friday
        # 08:00-12:00 240: Friday 4 June 2027 12:00.
        (paris(2027, 3, 8, 8), minutes(21600), paris(2027, 6, 4, 12)),
    ],
)
def test_deadlines(start: datetime, duration: timedelta, deadline: datetime) -> None:
    found = add_business_time(college(), start, duration)
    assert found == deadline
    assert found.tzinfo is UTC
    assert business_time(college(), start, found) == duration


@pytest.mark.parametrize(
    ("start", "opening"),
    [
        (paris(2027, 3, 16, 10), paris(2027, 3, 16, 10)),  # open: now
        (paris(2027, 3, 16, 6), paris(2027, 3, 16, 8)),  # before opening
        (paris(2027, 3, 16, 12), paris(2027, 3, 16, 13, 30)),  # closing time is closed
        (paris(2027, 3, 17, 12), paris(2027, 3, 18, 8)),  # Wednesday afternoon
        (paris(2027, 3, 12, 17, 30), paris(2027, 3, 15, 8)),  # Friday evening
        (paris(2027, 3, 26, 17, 30), paris(2027, 3, 30, 8)),  # before Easter Monday
    ],
)
def test_no_time_at_all_is_the_next_opening(start: datetime, opening: datetime) -> None:
    assert add_business_time(college(), start, timedelta()) == opening


def test_a_deadline_across_the_spring_change() -> None:
    # Friday 27 March 2026 17:00 + 1 h: 30 min on Friday, then Monday 30 March 08:30 CEST,
    # which is 06:30 UTC (07:30 UTC would be the hour a fixed offset gets wrong).
    found = add_business_time(college(), paris(2026, 3, 27, 17), timedelta(hours=1))
    assert found == paris(2026, 3, 30, 8, 30) == datetime(2026, 3, 30, 6, 30, tzinfo=UTC)


@pytest.mark.parametrize("start", [paris(2027, 3, 16, 10, 7), paris(2027, 4, 16, 17, 29)])
@pytest.mark.parametrize("minutes_", [1, 59, 240, 481, 2160, 10 * 480])
def test_a_deadline_is_the_first_instant_the_time_has_passed(
    start: datetime, minutes_: int
) -> None:
    duration = minutes(minutes_)
    deadline = add_business_time(college(), start, duration)
    assert business_time(college(), start, deadline) == duration
    assert business_time(college(), start, deadline - timedelta(seconds=1)) < duration


def test_a_deadline_needs_a_duration_and_an_aware_start() -> None:
    with pytest.raises(ValueError, match="negative"):
        add_business_time(college(), paris(2027, 3, 16, 10), timedelta(minutes=-1))
    with pytest.raises(ValueError, match="time zone"):
        add_business_time(college(), datetime(2027, 3, 16, 10), timedelta(hours=1))
