"""The garage's calendar: which days the workshop works, and why not when it does not.

Week-ends, French public holidays (Alsace-Moselle's two extra ones when the garage's
département is 57, 67 or 68) and the school holidays of the garage's zone are closed. The
school holidays come from the calendar shipped with `vacances-scolaires-france` (no network
at run time); past its last published year, school days count as working days. Reasons are
in French: people read them."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from functools import cache
from zoneinfo import ZoneInfo

import holidays
from vacances_scolaires_france import (  # type: ignore[import-untyped]
    SchoolHolidayDates,
    UnsupportedYearException,
)

ALSACE_MOSELLE = frozenset({"57", "67", "68"})


@cache
def _school_holidays() -> SchoolHolidayDates:
    return SchoolHolidayDates()  # parses the CSV shipped with the package, once


@cache
def _public_holidays(year: int, department: str | None) -> dict[date, str]:
    # `holidays` files the three Alsace-Moselle départements under one subdivision, "57".
    subdiv = "57" if department in ALSACE_MOSELLE else None
    return dict(holidays.country_holidays("FR", years=year, subdiv=subdiv, language="fr"))


def closure_reason(day: date, zone: str, department: str | None = None) -> str | None:
    """Why the workshop is closed on `day`, in French, or None on a working day."""
    if day.weekday() >= 5:
        return "week-end"
    public = _public_holidays(day.year, department).get(day)
    if public is not None:
        return f"jour férié ({public})"
    try:
        school = _school_holidays()
        info = school.data.get(day)
        if info is not None and school.is_holiday_for_zone(day, zone):
            return f"{info['nom_vacances']} (zone {zone})"
    except UnsupportedYearException:
        pass  # no published calendar that far ahead: a school day
    return None


def add_working_days(start: date, count: int, zone: str, department: str | None = None) -> date:
    """The `count`-th working day after `start` (`start` itself never counts)."""
    day = start
    while count > 0:
        day += timedelta(days=1)
        if closure_reason(day, zone, department) is None:
            count -= 1
    return day


def end_of_day(day: date, zone: ZoneInfo) -> datetime:
    """Midnight at the end of `day`, local time: a deadline "by the end of that day"."""
    return datetime.combine(day + timedelta(days=1), time(0), tzinfo=zone)
