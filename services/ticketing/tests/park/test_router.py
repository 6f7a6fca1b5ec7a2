"""The park as ticketing knows it, for the intake form: sites to pick from, a GPI label
looked up; a technician limited to some sites sees those."""

from __future__ import annotations

import pytest

from ..conftest import Kit

pytestmark = pytest.mark.integration


async def test_a_known_site_is_read_and_an_unknown_one_is_404(kit: Kit) -> None:
    code = await kit.site(name="Collège Montjoie")
    found = await kit.client.get(f"/api/ticketing/sites/{code.lower()}", headers=kit.technician)
    assert found.status_code == 200, found.text
    assert found.json()["name"] == "Collège Montjoie"
    missing = await kit.client.get("/api/ticketing/sites/NOPE-000", headers=kit.technician)
    assert missing.status_code == 404
    assert missing.headers["content-type"] == "application/problem+json"


async def test_sites_listed_by_code_and_limited_to_those_covered(kit: Kit) -> None:
    mine, other = await kit.site(), await kit.site()
    scoped = kit.token("technician", sites=[mine])
    listed = await kit.client.get("/api/ticketing/sites", headers=scoped)
    assert [s["code"] for s in listed.json()["items"]] == [mine]
    hidden = await kit.client.get(f"/api/ticketing/sites/{other}", headers=scoped)
    assert hidden.status_code == 404
    # A requester picks among every site (a teacher reports from their school).
    everyone = await kit.client.get(
        "/api/ticketing/sites", params={"limit": 200}, headers=kit.requester()
    )
    codes = [s["code"] for s in everyone.json()["items"]]
    assert codes == sorted(codes)


async def test_an_asset_tag_names_its_host_whatever_its_case(kit: Kit) -> None:
    site = await kit.site()
    tag = await kit.host(site, asset_tag=f"ab{site[-6:]}", hostname="CLGJZ-CDI-02")
    found = await kit.client.get(f"/api/ticketing/assets/{tag.upper()}", headers=kit.technician)
    assert found.status_code == 200, found.text
    assert found.json()["hostname"] == "CLGJZ-CDI-02"
    assert found.json()["site_code"] == site
    elsewhere = kit.token("technician", sites=[await kit.site()])
    hidden = await kit.client.get(f"/api/ticketing/assets/{tag}", headers=elsewhere)
    assert hidden.status_code == 404
