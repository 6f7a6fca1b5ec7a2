"""The collège the SLA tests count on: open Monday, Tuesday, Thursday and Friday 08:00-12:00
and 13:30-17:30 (480 minutes), Wednesday 08:00-12:00 (240 minutes): 2,160 minutes a week."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from ticketing.sla.business_time import SiteCalendar

PARIS = ZoneInfo("Europe/Paris")
FULL_DAY = [{"start": "08:00:00", "end": "12:00:00"}, {"start": "13:30:00", "end": "17:30:00"}]
COLLEGE_HOURS: list[dict[str, Any]] = [
    {"weekday": 0, "ranges": FULL_DAY},
    {"weekday": 1, "ranges": FULL_DAY},
    {"weekday": 2, "ranges": FULL_DAY[:1]},
    {"weekday": 3, "ranges": FULL_DAY},
    {"weekday": 4, "ranges": FULL_DAY},
]


def college(school_zone: str = "B", department: str | None = "45") -> SiteCalendar:
    return SiteCalendar.from_park(PARIS, school_zone, department, COLLEGE_HOURS)


def paris(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=PARIS)


def minutes(count: float) -> timedelta:
    return timedelta(minutes=count)
