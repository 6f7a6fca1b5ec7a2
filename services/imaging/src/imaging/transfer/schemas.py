"""The spreadsheets technicians keep, read as they come: `;` or `,`, UTF-8 with or without
a BOM, or Windows-1252 (Excel's French default); the first line names the columns, in
French as the export writes them, or as the API names the fields."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from typing import Literal

from pydantic import BaseModel

from imaging.normalisation import ascii_upper

Kind = Literal["sites", "rooms", "hosts"]

# Export headers (French, as people read them) -> the API's field names. The import also
# takes the API's names, and headers in any case, with or without accents.
COLUMNS: dict[Kind, dict[str, str]] = {
    "sites": {
        "code": "code",
        "nom": "name",
        "type": "kind",
        "uai": "uai",
        "departement": "department",
        "zone": "zone",
        "adresse": "address",
        "actif": "active",
        "prefixe": "hostname_prefix",
    },
    "rooms": {"site": "site_code", "code": "code", "nom": "name", "type": "kind"},
    "hosts": {
        "site": "site_code",
        "salle": "room_code",
        "gpi": "asset_tag",
        "nom": "hostname",
        "numero_serie": "serial",
        "macs": "macs",
        "marque": "make",
        "modele": "model",
        "type": "kind",
        "reseau": "network",
        "date_achat": "purchase_date",
        "fin_garantie": "warranty_end",
        "statut": "status",
        "groupes": "groups",
    },
}
# Cells holding several values (MAC addresses, group codes): separated by these.
LIST_SEPARATORS = ("|", ",", " ")
LIST_FIELDS = frozenset({"macs", "groups"})


class SpreadsheetError(ValueError):
    """The file as a whole cannot be read (encoding, no header, unknown columns)."""


@dataclass(frozen=True)
class Row:
    line: int  # the line number as the spreadsheet shows it (the header is line 1)
    values: dict[str, str]  # API field name -> cell, stripped; empty cells left out


def _fold(header: str) -> str:
    """`Département` → `departement`, `Numéro série` → `numero_serie`."""
    return ascii_upper(header.strip()).lower().replace(" ", "_").replace("-", "_").replace("'", "")


def decode(data: bytes) -> str:
    """UTF-8 (its BOM dropped), else Windows-1252: a byte sequence that is not UTF-8 is
    Excel's French export."""
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return data.decode("cp1252", errors="strict")


def read_rows(kind: Kind, data: bytes) -> list[Row]:
    """Each non-empty line under the header, its columns named as the API names them."""
    try:
        text = decode(data)
    except UnicodeDecodeError as exc:
        raise SpreadsheetError("the file is neither UTF-8 nor Windows-1252") from exc
    lines = text.splitlines()
    if not lines or not lines[0].strip():
        raise SpreadsheetError("the first line must name the columns")
    delimiter = ";" if lines[0].count(";") >= lines[0].count(",") else ","
    reader = csv.reader(io.StringIO(text), delimiter=delimiter)
    try:
        fields = _fields(kind, next(reader))
        rows = []
        for cells in reader:
            values = {
                field: cell.strip()
                for field, cell in zip(fields, cells, strict=False)
                if cell.strip()
            }
            if values:
                rows.append(Row(reader.line_num, values))  # as the spreadsheet numbers it
    except csv.Error as exc:  # a quote never closed, a cell past the csv module's limit
        raise SpreadsheetError(f"line {reader.line_num}: {exc}") from exc
    return rows


def _fields(kind: Kind, header: list[str]) -> list[str]:
    """The API's field name of each column, whether named in French or as the API does."""
    known = COLUMNS[kind]
    api_names = set(known.values())
    fields: list[str] = []
    for cell in header:
        folded = _fold(cell)
        name = known.get(folded) or (folded if folded in api_names else None)
        if name is None:
            expected = ", ".join(known)
            raise SpreadsheetError(f"unknown column {cell!r}: the columns are {expected}")
        fields.append(name)
    return fields


def split_list(cell: str) -> list[str]:
    for separator in LIST_SEPARATORS:
        if separator in cell:
            return [part.strip() for part in cell.split(separator) if part.strip()]
    return [cell.strip()]


def write_rows(kind: Kind, rows: list[dict[str, str]]) -> bytes:
    """`;`-separated, UTF-8 with a BOM (Excel then reads the accents right), the export's
    French headers."""
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";", lineterminator="\r\n")
    columns = COLUMNS[kind]
    writer.writerow(columns)
    for row in rows:
        writer.writerow([row.get(field, "") for field in columns.values()])
    return out.getvalue().encode("utf-8-sig")


class LineError(BaseModel):
    line: int
    field: str | None
    message: str


class ImportReport(BaseModel):
    kind: str
    dry_run: bool
    lines: int  # data lines read
    created: int  # registered (or, in a dry run, that would be)
    existing: int  # already in the park: left as they are
    rejected: int
    errors: list[LineError]
