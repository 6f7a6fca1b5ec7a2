from __future__ import annotations

from decimal import Decimal

from garage.quotes.pricing import lines_from_catalogue, priced_line, totals
from garage.settings import DEFAULT_CATALOGUE


def test_labour_takes_the_voted_hourly_rate() -> None:
    line = priced_line(
        kind="labour",
        label="Vidange",
        quantity=Decimal("1.5"),
        unit_price=None,
        parts_origin="new",
        hourly_rate=Decimal("22.50"),
    )
    assert line["unit_price"] == "22.50"
    assert line["total_ht"] == "33.75"
    assert line["parts_origin"] is None  # only parts have an origin


def test_totals_round_vat_to_the_cent() -> None:
    lines = lines_from_catalogue(DEFAULT_CATALOGUE["brakes"], Decimal("20.00"))
    result = totals(lines, Decimal("0.20"))
    assert (result.ht, result.vat, result.ttc) == (
        Decimal("79.00"),
        Decimal("15.80"),
        Decimal("94.80"),
    )
    odd = [
        priced_line(
            kind="fee",
            label="x",
            quantity=Decimal("1"),
            unit_price=Decimal("0.05"),
            parts_origin=None,
            hourly_rate=Decimal(0),
        )
    ]
    assert totals(odd, Decimal("0.20")).vat == Decimal("0.01")  # 0.01 half-up
