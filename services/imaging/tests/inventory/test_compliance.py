"""Software references (`/api/imaging/software-references`: supervisors write them, with
If-Match) and compliance: what a host's latest inventory lacks, what is below the minimum
version, per host and for a site's hosts."""

from __future__ import annotations

from typing import Any

import pytest

from .conftest import (
    HOSTS,
    REFERENCES,
    Json,
    Reporter,
    dell,
    lenovo,
    new_mac,
    new_serial,
    new_site_code,
)

pytestmark = pytest.mark.integration


async def reference(kit: Any, site: str | None, **fields: Any) -> Json:
    body = {"site_code": site, **fields}
    response = await kit.client.post(REFERENCES, json=body, headers=kit.supervisor)
    assert response.status_code == 201, response.text
    assert response.headers["ETag"] == '"1"'
    created: Json = response.json()
    return created


async def site_references(kit: Any, site: str) -> None:
    """Firefox ESR 128 at least, 7-Zip 24.08 at least, Veyon (classroom control) on the
    desktops, the Lenovo tools on the laptops; and another site's rule."""
    await reference(
        kit, site, name_pattern="Mozilla Firefox", min_version="128.0", label="Navigateur"
    )
    await reference(kit, site, name_pattern="7-zip", min_version="24.08", label="Archiveur")
    await reference(
        kit, site, name_pattern="Veyon", host_kind="desktop", label="Supervision de classe"
    )
    await reference(
        kit, site, name_pattern="Lenovo Vantage", host_kind="laptop", label="Outils Lenovo"
    )
    other = new_site_code()
    created = await kit.client.post(
        "/api/imaging/sites",
        json={"code": other, "name": "Autre", "zone": "B"},
        headers=kit.supervisor,
    )
    assert created.status_code == 201
    await reference(kit, other, name_pattern="Pronote", label="Vie scolaire")


async def test_a_host_is_told_what_is_missing_and_what_is_outdated(
    reporter: Reporter, kit: Any
) -> None:
    await site_references(kit, reporter.site)
    serial = new_serial()
    host = await reporter.register(serial=serial)
    await reporter.report(dell(serial, new_mac()))  # 7-Zip 23.01, Firefox 128.3.1, no Veyon

    response = await kit.client.get(
        f"{HOSTS}/{host['asset_tag']}/compliance", headers=kit.technician
    )

    assert response.status_code == 200, response.text
    body = response.json()
    assert (body["asset_tag"], body["site_code"], body["compliant"]) == (
        host["asset_tag"],
        reporter.site,
        False,
    )
    assert [
        (f["kind"], f["name_pattern"], f["installed"], f["label"]) for f in body["findings"]
    ] == [
        (
            "outdated",
            "7-zip",
            {"7-Zip (x64)": "23.01"},
            "Obsolète : Archiveur (7-Zip (x64) 23.01 installé, 24.08 minimum)",
        ),
        ("missing", "Veyon", {}, "Manquant : Supervision de classe (Veyon)"),
    ]


async def test_the_laptop_is_judged_by_the_laptops_references(reporter: Reporter, kit: Any) -> None:
    await site_references(kit, reporter.site)
    serial, wifi = new_serial(), new_mac()
    host = await reporter.register(serial=serial, kind="laptop")
    await reporter.report(lenovo(serial, wifi, new_mac()))  # Firefox 115, 7-Zip 24.08, Vantage

    body = (
        await kit.client.get(f"{HOSTS}/{host['asset_tag']}/compliance", headers=kit.technician)
    ).json()

    assert [f["label"] for f in body["findings"]] == [
        "Obsolète : Navigateur (Mozilla Firefox (x64 fr) 115.15.0 installé, 128.0 minimum)"
    ]


async def test_a_site_lists_its_non_compliant_and_never_inventoried_hosts(
    reporter: Reporter, kit: Any
) -> None:
    await site_references(kit, reporter.site)
    compliant_serial, outdated_serial = new_serial(), new_serial()
    compliant = await reporter.register(
        serial=compliant_serial, asset_tag="GPIA" + new_serial()[:8]
    )
    outdated = await reporter.register(serial=outdated_serial, asset_tag="GPIB" + new_serial()[:8])
    never = await reporter.register(serial=new_serial(), asset_tag="GPIC" + new_serial()[:8])
    good = dell(compliant_serial, new_mac())
    good["content"]["softwares"][0].update(name="7-Zip 24.09 (x64)", version="24.09")
    good["content"]["softwares"].append({"name": "Veyon", "version": "4.9.0"})
    await reporter.report(good)
    await reporter.report(dell(outdated_serial, new_mac()))
    path = "/api/imaging/compliance"

    response = await kit.client.get(
        path, params={"site": reporter.site.lower()}, headers=kit.technician
    )
    pages = []
    cursor = None
    for _ in range(3):  # a host a page: the compliant one's page is empty
        params = {"site": reporter.site, "limit": 1, **({"cursor": cursor} if cursor else {})}
        page = (await kit.client.get(path, params=params, headers=kit.technician)).json()
        pages.append([h["asset_tag"] for h in page["items"]])
        cursor = page["next_cursor"]

    assert response.status_code == 200, response.text
    body = response.json()
    assert [h["asset_tag"] for h in body["items"]] == [outdated["asset_tag"], never["asset_tag"]]
    listed, unknown = body["items"]
    assert (listed["compliant"], listed["site_code"]) == (False, reporter.site)
    assert [f["kind"] for f in listed["findings"]] == ["outdated", "missing"]
    assert (unknown["compliant"], unknown["inventoried_at"], unknown["findings"]) == (
        None,
        None,
        [],
    )
    assert body["next_cursor"] is None
    assert pages == [[], [outdated["asset_tag"]], [never["asset_tag"]]]
    assert cursor is None
    assert compliant["asset_tag"] not in str(body)


async def test_a_host_never_inventoried_has_an_unknown_compliance(
    reporter: Reporter, kit: Any
) -> None:
    host = await reporter.register(serial=new_serial())

    response = await kit.client.get(
        f"{HOSTS}/{host['asset_tag']}/compliance", headers=kit.technician
    )

    assert response.status_code == 200, response.text
    assert response.json() == {
        "asset_tag": host["asset_tag"],
        "hostname": host["hostname"],
        "site_code": reporter.site,
        "inventoried_at": None,
        "compliant": None,
        "findings": [],
    }


async def test_without_a_site_the_callers_sites_are_listed(reporter: Reporter, kit: Any) -> None:
    mine = await reporter.register(serial=new_serial())
    other_site = new_site_code()
    await kit.client.post(
        "/api/imaging/sites",
        json={"code": other_site, "name": "Ailleurs", "zone": "C"},
        headers=kit.supervisor,
    )
    theirs = await reporter.register(serial=new_serial(), site=other_site)
    local = kit.token("technician", sites=[reporter.site])

    listed = await kit.client.get("/api/imaging/compliance", params={"limit": 200}, headers=local)
    forbidden = await kit.client.get(
        "/api/imaging/compliance", params={"site": other_site}, headers=local
    )

    tags = [h["asset_tag"] for h in listed.json()["items"]]
    assert mine["asset_tag"] in tags and theirs["asset_tag"] not in tags
    assert forbidden.status_code == 403


async def test_the_latest_inventory_decides(reporter: Reporter, kit: Any) -> None:
    await reference(
        kit, reporter.site, name_pattern="7-Zip", min_version="24.08", label="Archiveur"
    )
    serial, mac = new_serial(), new_mac()
    host = await reporter.register(serial=serial)
    document = dell(serial, mac)
    await reporter.report(document)
    path = f"{HOSTS}/{host['asset_tag']}/compliance"
    before = (await kit.client.get(path, headers=kit.technician)).json()

    document["content"]["softwares"][0].update(name="7-Zip 24.08 (x64)", version="24.08")
    await reporter.report(document)
    after = (await kit.client.get(path, headers=kit.technician)).json()

    assert before["compliant"] is False
    assert (after["compliant"], after["findings"]) == (True, [])


# --- the references ------------------------------------------------------------------------------


async def test_a_reference_is_read_changed_with_if_match_and_deleted(
    reporter: Reporter, kit: Any
) -> None:
    created = await reference(
        kit, reporter.site, name_pattern="LibreOffice", min_version="24.2", label="Bureautique"
    )
    path = f"{REFERENCES}/{created['id']}"
    assert created["site_code"] == reporter.site
    assert (created["host_kind"], created["host_kind_label"]) == (None, None)

    without = await kit.client.patch(path, json={"min_version": "24.8"}, headers=kit.supervisor)
    stale = await kit.client.patch(
        path, json={"min_version": "24.8"}, headers={**kit.supervisor, "If-Match": '"7"'}
    )
    changed = await kit.client.patch(
        path,
        json={"min_version": "24.8", "host_kind": "desktop"},
        headers={**kit.supervisor, "If-Match": '"1"'},
    )
    read = await kit.client.get(path, headers=kit.technician)
    delete_without = await kit.client.delete(path, headers=kit.supervisor)
    deleted = await kit.client.delete(path, headers={**kit.supervisor, "If-Match": '"2"'})
    gone = await kit.client.get(path, headers=kit.technician)

    assert without.status_code == 428
    assert stale.status_code == 412 and stale.json()["etag"] == '"1"'
    assert changed.status_code == 200, changed.text
    assert changed.headers["ETag"] == '"2"'
    assert (changed.json()["min_version"], changed.json()["host_kind_label"]) == (
        "24.8",
        "Poste fixe",
    )
    assert read.json() == changed.json() and read.headers["ETag"] == '"2"'
    assert delete_without.status_code == 428
    assert deleted.status_code == 204
    assert gone.status_code == 404


async def test_references_are_listed_for_a_site_with_those_of_every_site(
    reporter: Reporter, kit: Any
) -> None:
    pattern = f"Outil {new_serial()}"
    # Of every site, but for copiers only: the other tests' hosts are not judged by it.
    everywhere = await reference(
        kit, None, name_pattern=pattern, label="Partout", host_kind="copier"
    )
    here = await reference(kit, reporter.site, name_pattern=pattern + " local", label="Ici")
    elsewhere_site = new_site_code()
    await kit.client.post(
        "/api/imaging/sites",
        json={"code": elsewhere_site, "name": "Ailleurs", "zone": "C"},
        headers=kit.supervisor,
    )
    await reference(kit, elsewhere_site, name_pattern=pattern + " ailleurs", label="Ailleurs")

    listed = await kit.client.get(
        REFERENCES, params={"site": reporter.site, "limit": 200}, headers=kit.technician
    )

    ids = [r["id"] for r in listed.json()["items"] if r["name_pattern"].startswith(pattern)]
    assert ids == [everywhere["id"], here["id"]]


async def test_who_may_write_references(reporter: Reporter, kit: Any) -> None:
    body = {"name_pattern": "Veyon", "label": "Supervision", "site_code": reporter.site}
    technician = await kit.client.post(REFERENCES, json=body, headers=kit.technician)
    local_supervisor = kit.token("supervisor", sites=[reporter.site])
    own_site = await kit.client.post(REFERENCES, json=body, headers=local_supervisor)
    every_site = await kit.client.post(
        REFERENCES, json={**body, "site_code": None}, headers=local_supervisor
    )
    bad_version = await kit.client.post(
        REFERENCES, json={**body, "min_version": "v4"}, headers=kit.supervisor
    )
    unknown_site = await kit.client.post(
        REFERENCES, json={**body, "site_code": new_site_code()}, headers=kit.supervisor
    )

    assert technician.status_code == 403
    assert own_site.status_code == 201
    assert every_site.status_code == 403
    assert bad_version.status_code == 422
    assert [e["field"] for e in bad_version.json()["errors"]] == ["min_version"]
    assert unknown_site.status_code == 404


async def test_a_retried_creation_with_its_idempotency_key_creates_one_reference(
    reporter: Reporter, kit: Any
) -> None:
    body = {"name_pattern": "Veyon", "label": "Supervision", "site_code": reporter.site}
    headers = {**kit.supervisor, "Idempotency-Key": f"ref-{new_serial()}"}

    first = await kit.client.post(REFERENCES, json=body, headers=headers)
    again = await kit.client.post(REFERENCES, json=body, headers=headers)

    assert (first.status_code, again.status_code) == (201, 201)
    assert again.json()["id"] == first.json()["id"]
    assert again.headers["Idempotent-Replayed"] == "true"
