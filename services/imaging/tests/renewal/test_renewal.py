"""`/api/imaging/renewal` and `/api/imaging/renewal.csv`: hosts not retired bought at
least 7 years ago today (exactly 7 years today: due), of a site or of every site the
caller covers, their age; the spreadsheet Excel opens in French."""

from __future__ import annotations

import csv
import io
from datetime import timedelta
from typing import Any

import pytest

from .conftest import RENEWAL, Json, Park, months_before, new_site, today_in_paris

pytestmark = pytest.mark.integration


async def renewal(kit: Any, **params: Any) -> Json:
    response = await kit.client.get(RENEWAL, params=params, headers=kit.technician)
    assert response.status_code == 200, response.text
    found: Json = response.json()
    return found


async def test_hosts_bought_seven_years_ago_today_are_due_not_a_day_later(
    park: Park, kit: Any
) -> None:
    today = today_in_paris()
    try:
        seven_years_ago = today.replace(year=today.year - 7)
    except ValueError:  # a 29 February: its anniversary is the 28th
        seven_years_ago = today.replace(year=today.year - 7, day=28)
    exactly = await park.register(seven_years_ago)
    await park.register(seven_years_ago + timedelta(days=1))  # due tomorrow
    old = await park.register(
        months_before(today, 10 * 12 + 3),
        warranty_end=months_before(today, 5 * 12 + 3).isoformat(),
        make="HP",
        model="ProDesk 400 G4",
        kind="desktop",
    )
    stored = await park.register(months_before(today, 9 * 12), status="stored")
    retired = await park.register(months_before(today, 12 * 12))
    await park.retire(retired)
    await park.register(None)  # no purchase date: cannot be judged

    found = await renewal(kit, site=park.site)

    items = {item["asset_tag"]: item for item in found["items"]}
    assert set(items) == {exactly["asset_tag"], old["asset_tag"], stored["asset_tag"]}
    assert (
        items[exactly["asset_tag"]]["age_years"],
        items[exactly["asset_tag"]]["age_months"],
    ) == (
        7,
        0,
    )
    assert items[old["asset_tag"]] == {
        "site_code": park.site,
        "site_name": "Collège Jean Rostand",
        "asset_tag": old["asset_tag"],
        "hostname": old["hostname"],
        "make": "HP",
        "model": "ProDesk 400 G4",
        "kind": "desktop",
        "kind_label": "Poste fixe",
        "status": "in_service",
        "status_label": "En service",
        "purchase_date": months_before(today, 10 * 12 + 3).isoformat(),
        "warranty_end": months_before(today, 5 * 12 + 3).isoformat(),
        "age_years": 10,
        "age_months": 3,
    }
    assert items[stored["asset_tag"]]["status_label"] == "En stock"
    assert found["next_cursor"] is None


async def test_another_age_and_pages(park: Park, kit: Any) -> None:
    today = today_in_paris()
    for years in (4, 6, 11, 12):
        await park.register(months_before(today, years * 12 + 1))

    at_five = await renewal(kit, site=park.site, age_years=5)
    at_twelve = await renewal(kit, site=park.site, age_years=12)
    first = await renewal(kit, site=park.site, age_years=5, limit=2)
    second = await renewal(kit, site=park.site, age_years=5, limit=2, cursor=first["next_cursor"])

    assert sorted(i["age_years"] for i in at_five["items"]) == [6, 11, 12]
    assert [i["age_years"] for i in at_twelve["items"]] == [12]
    assert len(first["items"]) == 2 and len(second["items"]) == 1
    assert second["next_cursor"] is None
    paged = {i["asset_tag"] for i in first["items"] + second["items"]}
    assert paged == {i["asset_tag"] for i in at_five["items"]}


async def test_a_site_limited_caller_sees_its_sites_only(park: Park, kit: Any) -> None:
    today = today_in_paris()
    other = Park(kit, await new_site(kit, "Collège Alain-Fournier"))
    mine = await park.register(months_before(today, 100))
    theirs = await other.register(months_before(today, 100))
    local = kit.token("technician", sites=[park.site])

    everything = await kit.client.get(RENEWAL, params={"limit": 200}, headers=local)
    forbidden = await kit.client.get(RENEWAL, params={"site": other.site}, headers=local)
    unknown = await kit.client.get(RENEWAL, params={"site": "NOWHERE"}, headers=kit.technician)

    tags = {i["asset_tag"] for i in everything.json()["items"]}
    assert mine["asset_tag"] in tags and theirs["asset_tag"] not in tags
    assert {i["site_code"] for i in everything.json()["items"]} == {park.site}
    assert forbidden.status_code == 403
    assert unknown.status_code == 404


async def test_the_spreadsheet_opens_in_excel_in_french(park: Park, kit: Any) -> None:
    today = today_in_paris()
    older = months_before(today, 11 * 12)
    newer = months_before(today, 8 * 12)
    second = await park.register(newer, make="Lenovo", model="ThinkCentre M720s")
    first = await park.register(older, make="HP", model='=HYPERLINK("http://x.example")')

    response = await kit.client.get(
        f"{RENEWAL}.csv", params={"site": park.site}, headers=kit.technician
    )

    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "text/csv; charset=utf-8"
    assert response.headers["content-disposition"] == (
        f'attachment; filename="renouvellement-{today.isoformat()}.csv"'
    )
    assert response.content.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig")), delimiter=";"))
    assert rows[0] == [
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
    ]
    assert [row[2] for row in rows[1:]] == [first["asset_tag"], second["asset_tag"]]  # oldest first
    assert rows[1] == [
        park.site,
        "Collège Jean Rostand",
        first["asset_tag"],
        first["hostname"],
        "HP",
        '\'=HYPERLINK("http://x.example")',  # text, not a formula
        "Poste fixe",
        "En service",
        older.strftime("%d/%m/%Y"),
        "",
        "11",
        "0",
    ]
