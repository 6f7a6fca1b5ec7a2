"""Reading the spreadsheets technicians keep."""

from __future__ import annotations

import pytest

from imaging.transfer.schemas import SpreadsheetError, read_rows, split_list, write_rows

SITES = "code;nom;zone;département\nCHECY-CLG;Collège Pierre de Coubertin, Chécy;B;45\n"


def test_utf8_with_a_bom_and_french_headers() -> None:
    [row] = read_rows("sites", b"\xef\xbb\xbf" + SITES.encode())
    assert row.line == 2
    assert row.values == {
        "code": "CHECY-CLG",
        "name": "Collège Pierre de Coubertin, Chécy",
        "zone": "B",
        "department": "45",
    }


def test_windows_1252_as_excel_saves_it() -> None:
    [row] = read_rows("sites", SITES.encode("cp1252"))
    assert row.values["name"] == "Collège Pierre de Coubertin, Chécy"


def test_commas_and_the_api_names_and_blank_lines() -> None:
    data = (
        b"site_code,room_code,asset_tag,macs\n"
        b'CHECY-CLG,S101,GPI-0042,"00:1A:2B:3C:4D:5E|00:1A:2B:3C:4D:5F"\n'
        b",,,\n"
    )
    [row] = read_rows("hosts", data)
    assert row.values["asset_tag"] == "GPI-0042"
    assert split_list(row.values["macs"]) == ["00:1A:2B:3C:4D:5E", "00:1A:2B:3C:4D:5F"]


def test_an_unknown_column_is_named() -> None:
    with pytest.raises(SpreadsheetError, match="unknown column 'mot de passe'"):
        read_rows("hosts", b"gpi;mot de passe\nGPI-1;secret\n")


def test_what_is_exported_reads_back() -> None:
    data = write_rows(
        "rooms", [{"site_code": "ORL-JJ", "code": "CDI", "name": "Centre de doc", "kind": "cdi"}]
    )
    assert data.startswith(b"\xef\xbb\xbf" + b"site;code;nom;type")
    [row] = read_rows("rooms", data)
    assert row.values == {
        "site_code": "ORL-JJ",
        "code": "CDI",
        "name": "Centre de doc",
        "kind": "cdi",
    }
