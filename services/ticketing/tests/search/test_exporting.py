"""The pure CSV shaping of exports: cells a spreadsheet would run, French times."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from ticketing.search.exporting import BOM, HEADERS, cell, head, moment
from ticketing.search.schemas import StatusGroup
from ticketing.tickets.models import STATUS_GROUPS

PARIS = ZoneInfo("Europe/Paris")


@pytest.mark.parametrize(
    "value",
    ["=1+1", "+33 2 38 00 00 00", "-2", "@SUM(A1)", "\tcalc", "\rcalc", "=", "-"],
)
def test_a_cell_a_spreadsheet_would_run_gets_a_quote(value: str) -> None:
    assert cell(value) == "'" + value


@pytest.mark.parametrize(
    "value", ["Imprimante", "1+1", "a=b", " =1", "", "'déjà cité", "Écran HS", "02 38 00"]
)
def test_other_cells_are_kept(value: str) -> None:
    assert cell(value) == value


def test_no_value_is_an_empty_cell() -> None:
    assert cell(None) == ""
    assert moment(None, PARIS) == ""


@pytest.mark.parametrize(
    ("instant", "written"),
    [
        (datetime(2026, 1, 15, 7, 5, tzinfo=UTC), "15/01/2026 08:05"),
        (datetime(2026, 7, 14, 8, 30, tzinfo=UTC), "14/07/2026 10:30"),
        (datetime(2026, 12, 31, 23, 30, tzinfo=UTC), "01/01/2027 00:30"),
        (datetime(2026, 3, 29, 1, 0, tzinfo=UTC), "29/03/2026 03:00"),
    ],
)
def test_times_are_written_in_the_zone_as_french_people_do(instant: datetime, written: str) -> None:
    assert moment(instant, PARIS) == written


def test_the_file_starts_with_a_bom_and_the_french_headers() -> None:
    assert head() == (BOM + ";".join(HEADERS) + "\r\n").encode()
    assert head().startswith(b"\xef\xbb\xbfR\xc3\xa9f\xc3\xa9rence;")


def test_the_status_groups_are_glpis() -> None:
    assert {group.value for group in StatusGroup} == set(STATUS_GROUPS)
