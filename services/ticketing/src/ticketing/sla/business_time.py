"""Business time on a school's calendar: what the SLA clocks (time to own, time to resolve)
count.

A site's business time is its opening hours (local wall-clock ranges per weekday) less the
French public holidays (with Alsace-Moselle's Vendredi saint and Saint-Étienne when the
site's département is 57, 67 or 68) and the school holidays of the site's zone. Every span
is explained in French (`Segment.reason`): people read it.

School holidays come from a CSV file, never from the network: by default the one shipped
with `vacances-scolaires-france`; admins can point `TICKETING_SCHOOL_HOLIDAYS_FILE` at a
newer one in the same format (`load_school_holidays`). Past the last holiday the file lists,
school days count as working days; `school_calendar_ends` lets the API say so.

Every instant this module returns is in UTC: Python subtracts two datetimes that share one
`ZoneInfo` by their wall clocks, an hour off across a DST change, while UTC ones subtract
right. Nothing walks minute by minute: day by day, range by range.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, time, timedelta
from functools import cache, lru_cache
from importlib import resources
from pathlib import Path
from types import MappingProxyType
from typing import Any
from zoneinfo import ZoneInfo

import holidays

ALSACE_MOSELLE = frozenset({"57", "67", "68"})
SCHOOL_ZONES = ("A", "B", "C")

Ranges = tuple[tuple[time, time], ...]
# What a site that gave no opening hours is taken to open: Monday to Friday, 08:00-18:00.
DEFAULT_OPENING_HOURS: Mapping[int, Ranges] = MappingProxyType(
    {weekday: ((time(8), time(18)),) for weekday in range(5)}
)

OPEN = "heures d'ouverture"
LUNCH_BREAK = "pause déjeuner"
CLOSED_HOURS = "hors heures d'ouverture"
WEEK_END = "week-end"

_ONE_DAY = timedelta(days=1)
_MIDNIGHT = time(0)
_COLUMNS = ("date", "vacances_zone_a", "vacances_zone_b", "vacances_zone_c", "nom_vacances")
_FLAGS = {"true": True, "false": False}


# --- school holidays -----------------------------------------------------------------------


@dataclass(frozen=True, eq=False)
class SchoolHolidays:
    """The school holidays of the three zones, as one CSV file gives them.

    `days` maps each holiday day to its name and the zones on holiday that day; `ends` is
    the last of them, the end of what the file says (see `school_calendar_ends`)."""

    days: Mapping[date, tuple[str, frozenset[str]]] = field(repr=False)
    ends: date
    source: str

    def reason(self, day: date, zone: str) -> str | None:
        """`vacances scolaires (Vacances d'hiver, zone B)` when `zone` is on holiday."""
        entry = self.days.get(day)
        if entry is None or zone not in entry[1]:
            return None
        return f"vacances scolaires ({entry[0]}, zone {zone})"


def load_school_holidays(path: Path | None = None) -> SchoolHolidays:
    """The school holidays from `path`, or from the file shipped with
    `vacances-scolaires-france` when `path` is None (never from the network).

    The format is the package's own `data/data.csv`: UTF-8 (a byte-order mark is
    tolerated), comma-separated, a header row naming at least these five columns::

        date,vacances_zone_a,vacances_zone_b,vacances_zone_c,nom_vacances
        2027-02-19,False,False,False,
        2027-02-20,False,True,False,Vacances d'hiver

    - `date`: one day, `YYYY-MM-DD`; a day listed twice is an error;
    - `vacances_zone_a|b|c`: `True` or `False`, whether that zone is on holiday that day;
    - `nom_vacances`: the holiday's name, as people read it (`Vacances de Noël`); required
      when a zone is on holiday, empty otherwise.

    The shipped file lists every day of every year; a day a file leaves out is a school
    day. The data ends with the last holiday listed: the shipped file pads its last year to
    31 December with school days, but the following school year's holidays are not in it.

    Parsed once per file and cached; the file's modification time and size are part of
    the key, so an admin's updated file is read again without a restart. A malformed file
    raises ValueError naming the file and the line."""
    if path is None:
        return _shipped_school_holidays()
    stat = path.stat()
    return _school_holidays_file(path, (stat.st_mtime_ns, stat.st_size))


def school_calendar_ends(school_holidays: SchoolHolidays | None = None) -> date:
    """The last day the school-holiday data covers (the shipped data when None): past it,
    school days count as working days, holidays or not."""
    return (school_holidays or load_school_holidays()).ends


@cache
def _shipped_school_holidays() -> SchoolHolidays:
    shipped = resources.files("vacances_scolaires_france") / "data" / "data.csv"
    return _parse_school_holidays(shipped.read_text(encoding="utf-8"), "vacances-scolaires-france")


@lru_cache(maxsize=8)
def _school_holidays_file(path: Path, _version: tuple[int, int]) -> SchoolHolidays:
    # `_version` (modification time, size) is only part of the cache key.
    return _parse_school_holidays(path.read_text(encoding="utf-8-sig"), str(path))


def _parse_school_holidays(text: str, source: str) -> SchoolHolidays:
    reader = csv.DictReader(io.StringIO(text))
    missing = [column for column in _COLUMNS if column not in (reader.fieldnames or ())]
    if missing:
        raise ValueError(f"{source}: missing column(s) {', '.join(missing)}")
    days: dict[date, tuple[str, frozenset[str]]] = {}
    seen: set[date] = set()
    for row in reader:
        where = f"{source}, line {reader.line_num}"
        raw_day = (row.get("date") or "").strip()
        try:
            day = date.fromisoformat(raw_day)
        except ValueError:
            raise ValueError(f"{where}: date {raw_day!r} is not YYYY-MM-DD") from None
        if day in seen:
            raise ValueError(f"{where}: {day} is listed twice")
        seen.add(day)
        zones = frozenset(zone for zone in SCHOOL_ZONES if _flag(row, zone, where))
        if not zones:
            continue
        name = (row.get("nom_vacances") or "").strip()
        if not name:
            raise ValueError(f"{where}: a holiday needs its name in nom_vacances")
        days[day] = (name, zones)
    if not days:
        raise ValueError(f"{source}: no school holiday listed")
    return SchoolHolidays(days=MappingProxyType(days), ends=max(days), source=source)


def _flag(row: Mapping[str, str | None], zone: str, where: str) -> bool:
    column = f"vacances_zone_{zone.lower()}"
    raw = (row.get(column) or "").strip()
    flag = _FLAGS.get(raw.lower())
    if flag is None:
        raise ValueError(f"{where}: {column} is {raw!r}, expected True or False")
    return flag


# --- the site's calendar -------------------------------------------------------------------


@cache
def _public_holidays(year: int, alsace_moselle: bool) -> Mapping[date, str]:
    # `holidays` files the three Alsace-Moselle départements under one subdivision, "57".
    subdiv = "57" if alsace_moselle else None
    found = holidays.country_holidays("FR", years=year, subdiv=subdiv, language="fr")
    return MappingProxyType(dict(found))


@dataclass(frozen=True)
class SiteCalendar:
    """When a site counts as open. `opening_hours` maps a weekday (0 = Monday) to its
    local wall-clock ranges, in order and not overlapping; a weekday left out is closed."""

    zone: ZoneInfo
    school_zone: str
    department: str | None
    opening_hours: Mapping[int, Ranges]
    school_holidays: SchoolHolidays = field(
        default_factory=load_school_holidays, compare=False, repr=False
    )

    def __post_init__(self) -> None:
        if self.school_zone not in SCHOOL_ZONES:
            raise ValueError(f"school zone {self.school_zone!r}: expected A, B or C")
        for weekday, ranges in self.opening_hours.items():
            if weekday not in range(7):
                raise ValueError(f"weekday {weekday!r}: expected 0 (Monday) to 6 (Sunday)")
            previous_end: time | None = None
            for opens, closes in ranges:
                if opens.tzinfo is not None or closes.tzinfo is not None:
                    raise ValueError("opening hours are local wall-clock times, without zone")
                if closes <= opens:
                    raise ValueError(f"weekday {weekday}: {opens}-{closes} ends before it starts")
                if previous_end is not None and opens < previous_end:
                    raise ValueError(f"weekday {weekday}: {opens}-{closes} is out of order")
                previous_end = closes
        # Checked here because a clock that never runs would make a deadline loop forever.
        if not any(self.opening_hours.values()):
            raise ValueError("no opening hours: a site is open on at least one weekday")

    @classmethod
    def from_park(
        cls,
        zone: ZoneInfo,
        school_zone: str,
        department: str | None,
        opening_hours_json: Sequence[Mapping[str, Any]],
        school_holidays: SchoolHolidays | None = None,
    ) -> SiteCalendar:
        """The calendar of a park site, from the opening hours imaging's events carry:
        `[{"weekday": 0, "ranges": [{"start": "08:00:00", "end": "12:00:00"}, ...]}, ...]`.

        A site without opening hours (an empty list) is taken to open Monday to Friday,
        08:00-18:00 (`DEFAULT_OPENING_HOURS`): its clock runs on office hours rather than
        never. `school_holidays` defaults to the shipped data."""
        hours: dict[int, Ranges] = {}
        for day in opening_hours_json:
            ranges = sorted(
                (time.fromisoformat(piece["start"]), time.fromisoformat(piece["end"]))
                for piece in day["ranges"]
            )
            hours[int(day["weekday"])] = tuple(ranges)
        return cls(
            zone=zone,
            school_zone=school_zone,
            department=department,
            opening_hours=MappingProxyType(hours) if any(hours.values()) else DEFAULT_OPENING_HOURS,
            school_holidays=school_holidays or load_school_holidays(),
        )

    def closure(self, day: date) -> str | None:
        """Why the whole of `day` is closed, or None when its opening hours apply. A public
        holiday comes first, then the school holidays (so that a fortnight of holidays reads
        as one span, its week-end included), then a weekday without hours."""
        public = _public_holidays(day.year, self.department in ALSACE_MOSELLE).get(day)
        if public is not None:
            return f"jour férié ({public})"
        school = self.school_holidays.reason(day, self.school_zone)
        if school is not None:
            return school
        if not self.opening_hours.get(day.weekday()):
            return WEEK_END if day.weekday() >= 5 else CLOSED_HOURS
        return None

    def open_ranges(self, day: date) -> list[tuple[datetime, datetime]]:
        """The instants (UTC) `day` is open, in order; none on a closed day."""
        if self.closure(day) is not None:
            return []
        ranges: list[tuple[datetime, datetime]] = []
        for opens, closes in self.opening_hours[day.weekday()]:
            start, end = _instant(self.zone, day, opens), _instant(self.zone, day, closes)
            if ranges:
                # A wall-clock time that the spring change skips maps an hour on: never
                # let a range begin before the one before it has ended.
                start = max(start, ranges[-1][1])
            if start < end:
                ranges.append((start, end))
        return ranges


@dataclass(frozen=True)
class Segment:
    """One span of [start, end) and why it counts or not. Instants are in UTC."""

    start: datetime
    end: datetime
    counted: bool
    reason: str

    @property
    def duration(self) -> timedelta:
        return self.end - self.start


# --- the clock -----------------------------------------------------------------------------


def segments(calendar: SiteCalendar, start: datetime, end: datetime) -> list[Segment]:
    """[start, end) explained: consecutive segments covering it exactly, spans of the same
    reason merged (a closed evening, night and morning read as one)."""
    start, end = _span(start, end)
    result: list[Segment] = []
    for day in _days(calendar, start, end):
        for piece_start, piece_end, counted, reason in _day_pieces(calendar, day):
            piece_start, piece_end = max(piece_start, start), min(piece_end, end)
            if piece_start >= piece_end:
                continue
            if result and result[-1].reason == reason:
                result[-1] = replace(result[-1], end=piece_end)
            else:
                result.append(Segment(piece_start, piece_end, counted, reason))
    return result


def business_time(calendar: SiteCalendar, start: datetime, end: datetime) -> timedelta:
    """The counted part of [start, end): the time it was open."""
    start, end = _span(start, end)
    total = timedelta()
    for day in _days(calendar, start, end):
        for opens, closes in calendar.open_ranges(day):
            opens, closes = max(opens, start), min(closes, end)
            if opens < closes:
                total += closes - opens
    return total


def add_business_time(calendar: SiteCalendar, start: datetime, duration: timedelta) -> datetime:
    """The instant (UTC) when `duration` of business time has passed since `start`: a
    deadline. A deadline that falls at a closing time is that closing time, not the next
    opening; a zero duration gives `start` when open, else the next opening."""
    if duration < timedelta():
        raise ValueError(f"duration {duration} is negative")
    start = _utc(start, "start")
    remaining = duration
    day = start.astimezone(calendar.zone).date()
    # Terminates: a calendar opens some weekday, and the holidays a year holds are finite.
    while True:
        for opens, closes in calendar.open_ranges(day):
            opens = max(opens, start)
            if opens >= closes:
                continue
            if remaining <= closes - opens:
                return opens + remaining
            remaining -= closes - opens
        day += _ONE_DAY


def _day_pieces(
    calendar: SiteCalendar, day: date
) -> Iterator[tuple[datetime, datetime, bool, str]]:
    """The whole local `day`, midnight to midnight, cut where it opens and closes."""
    day_start, day_end = (
        _instant(calendar.zone, day, _MIDNIGHT),
        _instant(calendar.zone, day + _ONE_DAY, _MIDNIGHT),
    )
    closure = calendar.closure(day)
    if closure is not None:
        yield day_start, day_end, False, closure
        return
    cursor, gap = day_start, CLOSED_HOURS
    for opens, closes in calendar.open_ranges(day):
        if cursor < opens:
            yield cursor, opens, False, gap
        yield opens, closes, True, OPEN
        cursor, gap = closes, LUNCH_BREAK  # a gap between two ranges of one day
    if cursor < day_end:
        yield cursor, day_end, False, CLOSED_HOURS


def _days(calendar: SiteCalendar, start: datetime, end: datetime) -> Iterator[date]:
    """The local days [start, end) touches, in order."""
    day = start.astimezone(calendar.zone).date()
    while _instant(calendar.zone, day, _MIDNIGHT) < end:
        yield day
        day += _ONE_DAY


def _instant(zone: ZoneInfo, day: date, wall: time) -> datetime:
    return datetime.combine(day, wall, tzinfo=zone).astimezone(UTC)


def _span(start: datetime, end: datetime) -> tuple[datetime, datetime]:
    start, end = _utc(start, "start"), _utc(end, "end")
    if end < start:
        raise ValueError(f"end {end} is before start {start}")
    return start, end


def _utc(value: datetime, name: str) -> datetime:
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"{name} {value} has no time zone")
    return value.astimezone(UTC)
