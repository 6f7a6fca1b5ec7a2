"""The renewal report as a spreadsheet: `;`-separated UTF-8 with a BOM, which Excel opens
as it is in French, dates as French people write them, headers in French."""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from datetime import date

HEADERS = (
    "Site",
    "Nom du site",
    "N° d'inventaire",
    "Nom",
    "Marque",
    "Modèle",
    "Type",
    "Statut",
    "Date d'achat",
    "Fin de garantie",
    "Âge (ans)",
    "Âge (mois)",
)
BOM = "\ufeff"
# A cell starting with one of these is a formula to a spreadsheet: a model name read from a
# machine's firmware must stay text.
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")

Cell = str | int | date | None


def _cell(value: Cell) -> str:
    if value is None:
        return ""
    if isinstance(value, date):
        return value.strftime("%d/%m/%Y")
    text = str(value)
    return "'" + text if text.startswith(_FORMULA_STARTS) else text


def spreadsheet(rows: Sequence[Sequence[Cell]]) -> bytes:
    """The rows under the French headers, as Excel expects a French CSV."""
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";", lineterminator="\r\n")
    writer.writerow(HEADERS)
    writer.writerows([_cell(value) for value in row] for row in rows)
    return (BOM + out.getvalue()).encode()
