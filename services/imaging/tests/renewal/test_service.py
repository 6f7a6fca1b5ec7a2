"""The renewal rules below the API: the anniversary, today in the service's zone, age."""

from __future__ import annotations

from datetime import UTC, date, datetime

from imaging.renewal.rendering import spreadsheet
from imaging.renewal.schemas import age_of
from imaging.renewal.service import bought_by, today_in
from imaging.settings import ImagingSettings


def test_due_on_the_anniversary_a_29_february_on_the_28th() -> None:
    assert bought_by(date(2026, 11, 29), 7) == date(2019, 11, 29)
    assert bought_by(date(2028, 2, 29), 7) == date(2021, 2, 28)
    assert bought_by(date(2027, 3, 1), 7) == date(2020, 3, 1)


def test_today_is_the_day_in_paris() -> None:
    settings = ImagingSettings(database_url=None)
    new_years_eve = datetime(2026, 12, 31, 23, 30, tzinfo=UTC)  # already 2027 in Paris

    assert today_in(settings, new_years_eve) == date(2027, 1, 1)


def test_age_in_whole_years_and_months() -> None:
    assert age_of(date(2019, 11, 29), date(2026, 11, 29)) == (7, 0)
    assert age_of(date(2019, 11, 30), date(2026, 11, 29)) == (6, 11)
    assert age_of(date(2019, 3, 15), date(2026, 11, 29)) == (7, 8)
    assert age_of(date(2020, 2, 29), date(2027, 2, 28)) == (6, 11)


def test_cells_a_spreadsheet_would_run_are_kept_as_text() -> None:
    content = spreadsheet([("+33 1", "-x", "@SUM(A1)", "ok", date(2019, 3, 5), None, 7)])

    assert content.startswith("\ufeff".encode())
    line = content.decode("utf-8-sig").splitlines()[1]
    assert line == "'+33 1;'-x;'@SUM(A1);ok;05/03/2019;;7"
