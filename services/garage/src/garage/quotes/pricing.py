"""Quote arithmetic: lines from the catalogue, totals HT / TVA / TTC rounded to the cent."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from garage.quotes.models import QuoteLine
from garage.settings import CatalogueLine

CENT = Decimal("0.01")


def cents(value: Decimal) -> Decimal:
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


@dataclass(frozen=True)
class Totals:
    ht: Decimal
    vat: Decimal
    ttc: Decimal


def priced_line(
    *,
    kind: str,
    label: str,
    quantity: Decimal,
    unit_price: Decimal | None,
    parts_origin: str | None,
    hourly_rate: Decimal,
) -> QuoteLine:
    """A stored line (JSON): labour without a price takes the voted hourly rate."""
    price = hourly_rate if kind == "labour" and unit_price is None else unit_price
    if price is None:
        raise ValueError(f"{label}: unit price required")
    return {
        "kind": kind,
        "label": label,
        "quantity": str(quantity),
        "unit_price": str(cents(price)),
        "parts_origin": parts_origin if kind == "part" else None,
        "total_ht": str(cents(quantity * price)),
    }


def lines_from_catalogue(
    catalogue: Iterable[CatalogueLine], hourly_rate: Decimal
) -> list[QuoteLine]:
    return [
        priced_line(
            kind=line.kind,
            label=line.label,
            quantity=line.quantity,
            unit_price=line.unit_price,
            parts_origin=line.parts_origin,
            hourly_rate=hourly_rate,
        )
        for line in catalogue
    ]


def totals(lines: Iterable[QuoteLine], vat_rate: Decimal) -> Totals:
    ht = cents(sum((Decimal(line["total_ht"]) for line in lines), Decimal(0)))
    vat = cents(ht * vat_rate)
    return Totals(ht=ht, vat=vat, ttc=ht + vat)
