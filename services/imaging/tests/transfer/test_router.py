"""CSV import (dry run, bad lines, encodings, partial), export, republish."""

from __future__ import annotations

from typing import Any

import pytest

from ..conftest import Kit

pytestmark = pytest.mark.integration

SITES = (
    "code;nom;type;uai;département;zone;adresse\n"
    "CSV-CHECY;Collège Pierre de Coubertin, Chécy;Collège;;45;B;1 rue du Collège, 45430 Chécy\n"
    "CSV-SARAN;Collège Montjoie, Saran;college;;45;B;\n"
)


async def post_csv(kit: Kit, kind: str, body: bytes, **params: Any) -> Any:
    return await kit.client.post(
        f"/api/imaging/import/{kind}",
        content=body,
        params=params,
        headers={**kit.supervisor, "Content-Type": "text/csv"},
    )


async def count(kit: Kit, table: str, where: str = "true") -> int:
    value: int = await kit.scalar(f"SELECT count(*) FROM imaging.{table} WHERE {where}")
    return value


async def test_bad_lines_are_all_reported_and_nothing_is_stored(kit: Kit) -> None:
    bad = (
        SITES + "CSV-BAD;Collège sans zone;college;;45;;\nCSV-UAI;Collège;college;0450782G;45;B;\n"
    )
    before = await count(kit, "site")
    refused = await post_csv(kit, "sites", bad.encode("cp1252"))
    assert refused.status_code == 422, refused.text
    problem = refused.json()
    assert problem["type"].endswith(":import-refused")
    assert [(e["line"], e["field"]) for e in problem["errors"]] == [(4, "zone"), (5, "uai")]
    assert problem["lines"] == 4 and problem["rejected"] == 2
    assert await count(kit, "site") == before

    events_before = await count(kit, "outbox")
    dry = await post_csv(kit, "sites", bad.encode("cp1252"), dry_run="true")
    assert dry.status_code == 200, dry.text
    assert (dry.json()["created"], dry.json()["rejected"]) == (2, 2)
    assert await count(kit, "site") == before, "a dry run stores nothing"
    assert await count(kit, "outbox") == events_before, "and publishes nothing"

    partial = await post_csv(kit, "sites", bad.encode("cp1252"), partial="true")
    assert partial.status_code == 200, partial.text
    assert (partial.json()["created"], partial.json()["rejected"]) == (2, 2)
    assert await count(kit, "site") == before + 2
    site = (await kit.client.get("/api/imaging/sites/csv-checy", headers=kit.supervisor)).json()
    assert site["name"] == "Collège Pierre de Coubertin, Chécy" and site["kind"] == "college"

    again = await post_csv(kit, "sites", b"\xef\xbb\xbf" + SITES.encode())
    assert again.status_code == 200, again.text
    assert (again.json()["created"], again.json()["existing"]) == (0, 2)


async def test_hosts_keep_the_names_they_have_and_get_one_otherwise(kit: Kit) -> None:
    assert (
        await post_csv(kit, "sites", b"code;nom;zone\nCSV-OLV;College Olivet;B\n")
    ).status_code == 200
    rooms = b"site;code;nom;type\nCSV-OLV;S101;Salle 101;Salle de classe\nCSV-OLV;CDI;CDI;cdi\n"
    assert (await post_csv(kit, "rooms", rooms)).json()["created"] == 2
    hosts = (
        "site;salle;gpi;nom;numero_serie;macs;marque;modele;type;reseau;date_achat\n"
        "CSV-OLV;S101;CSV-0001;OLV-PROF-01;7QXR2K3;00:1A:2B:3C:4D:01;Dell;OptiPlex 7090;"
        "Poste fixe;Pédagogique;2019-09-01\n"
        "CSV-OLV;CDI;CSV-0002;;8QXR2K3;00-1A-2B-3C-4D-02|00:1A:2B:3C:4D:03;Dell;OptiPlex 7090;"
        "desktop;pedagogy;2024-09-01\n"
        "CSV-OLV;S999;CSV-0003;;;zz:zz;Dell;;desktop;admin;\n"
    )
    refused = await post_csv(kit, "hosts", hosts.encode())
    assert refused.status_code == 422
    assert {(e["line"], e["field"]) for e in refused.json()["errors"]} >= {(4, "macs.0")}
    assert await count(kit, "host", "asset_tag LIKE 'CSV-%'") == 0

    names_before = await count(kit, "hostname")
    dry = await post_csv(kit, "hosts", hosts.encode(), partial="true", dry_run="true")
    assert (dry.status_code, dry.json()["created"]) == (200, 2)
    assert await count(kit, "hostname") == names_before, "a dry run reserves no name"
    assert await count(kit, "host", "asset_tag LIKE 'CSV-%'") == 0

    imported = await post_csv(kit, "hosts", hosts.encode(), partial="true")
    assert imported.status_code == 200, imported.text
    assert imported.json()["created"] == 2
    kept = (await kit.client.get("/api/imaging/hosts/CSV-0001", headers=kit.technician)).json()
    assert kept["hostname"] == "OLV-PROF-01", "a name already on the domain is kept"
    named = (await kit.client.get("/api/imaging/hosts/CSV-0002", headers=kit.technician)).json()
    assert named["hostname"] and named["hostname"] != "OLV-PROF-01"
    assert sorted(named["macs"]) == ["00:1A:2B:3C:4D:02", "00:1A:2B:3C:4D:03"]

    exported = await kit.client.get("/api/imaging/export/hosts.csv", headers=kit.technician)
    assert exported.status_code == 200
    assert exported.content.startswith(b"\xef\xbb\xbfsite;salle;gpi;nom;")
    lines = exported.content.decode("utf-8-sig").splitlines()
    assert any(line.startswith("CSV-OLV;S101;CSV-0001;OLV-PROF-01;7QXR2K3;") for line in lines)
    back = await post_csv(kit, "hosts", exported.content)
    assert back.status_code == 200, back.text
    assert back.json()["created"] == 0 and back.json()["existing"] == back.json()["lines"]


async def test_a_site_limited_caller_imports_into_its_sites_only(kit: Kit) -> None:
    assert (
        await post_csv(kit, "sites", b"code;nom;zone\nCSV-MINE;A;B\nCSV-OTHER;B;B\n")
    ).status_code == 200
    rooms = b"site;code;nom\nCSV-MINE;S1;Salle 1\nCSV-OTHER;S1;Salle 1\n"
    limited = {**kit.token("technician", sites=["CSV-MINE"]), "Content-Type": "text/csv"}
    refused = await kit.client.post("/api/imaging/import/rooms", content=rooms, headers=limited)
    assert refused.status_code == 422
    assert [e["line"] for e in refused.json()["errors"]] == [3]


async def test_a_file_that_is_not_a_spreadsheet_is_named(kit: Kit) -> None:
    response = await post_csv(kit, "sites", b"nom;mot de passe\nx;y\n")
    assert response.status_code == 422
    assert response.json()["field"] == "file"
    assert "mot de passe" in response.json()["detail"]


async def test_republish_sends_the_park_again_with_the_same_versions(kit: Kit) -> None:
    assert (await post_csv(kit, "sites", b"code;nom;zone\nCSV-REPUB;R;C\n")).status_code == 200
    ops = kit.token("ops")
    first = await kit.client.post("/api/imaging/republish", headers=ops)
    second = await kit.client.post("/api/imaging/republish", headers=ops)
    assert first.status_code == second.status_code == 200
    assert first.json()["events"] == second.json()["events"] > 0
    events = [e for e in await kit.events("CSV-REPUB") if e["type"] == "imaging.site.updated.v1"]
    assert len(events) == 2 and events[0]["data"]["version"] == events[1]["data"]["version"]
    assert (
        await kit.client.post("/api/imaging/republish", headers=kit.technician)
    ).status_code == 403


async def test_a_line_repeated_in_the_file_is_reported_not_merged(kit: Kit) -> None:
    body = b"code;nom;zone\nCSV-TWICE;Premier;B\ncsv-twice;Second;C\n"
    refused = await post_csv(kit, "sites", body)
    assert refused.status_code == 422
    assert refused.json()["errors"] == [{"line": 3, "field": None, "message": "repeats line 2"}]
    assert await count(kit, "site", "upper(code) = 'CSV-TWICE'") == 0


async def test_a_broken_file_or_a_nul_is_named_not_a_server_error(kit: Kit) -> None:
    unclosed = b'code;nom;zone\nCSV-Q;"' + b"x" * 140_000 + b"\n"
    broken = await post_csv(kit, "sites", unclosed)
    assert broken.status_code == 422, broken.text
    assert broken.json()["field"] == "file" and "line" in broken.json()["detail"]
    nul = await post_csv(kit, "rooms", b"site;code;nom\nA\x00B;C1;Salle\n")
    assert nul.status_code == 422, nul.text
    assert nul.json()["errors"][0]["line"] == 2
    assert nul.json()["errors"][0]["field"] == "site_code"
