"""`/api/imaging/sites/{code}/groups`: a site's host groups (a mobile classroom's laptops);
their members are the hosts package's."""

from __future__ import annotations

from typing import Any

import pytest

from .conftest import SITES, Park

pytestmark = pytest.mark.integration


async def test_a_group_is_registered_read_changed_and_deleted(park: Park, kit: Any) -> None:
    site = await park.create_site()
    groups = f"{SITES}/{site['code']}/groups"

    created = await kit.client.post(
        groups, json={"code": "chariot-1", "name": "Chariot mobile 1"}, headers=kit.technician
    )
    assert created.status_code == 201, created.text
    assert created.headers["ETag"] == '"1"'
    group = created.json()
    assert (group["code"], group["site_code"]) == ("CHARIOT-1", site["code"])
    assert (await park.get(f"{groups}/Chariot-1")).json() == group
    assert [g["code"] for g in (await park.get(groups)).json()["items"]] == ["CHARIOT-1"]

    path = f"{groups}/CHARIOT-1"
    etag = await park.refused_without_the_etag("PATCH", path, json={"name": "Chariot A"})
    changed = await park.write("PATCH", path, etag, json={"name": "Chariot A"})
    assert changed.status_code == 200, changed.text
    assert changed.headers["ETag"] == '"2"'
    assert changed.json()["name"] == "Chariot A"

    etag = await park.refused_without_the_etag("DELETE", path)
    deleted = await park.write("DELETE", path, etag)
    assert deleted.status_code == 204, deleted.text
    assert (await park.get(path)).status_code == 404
    assert (await park.get(groups)).json()["items"] == []
    # Groups publish nothing: the site's events are its registration only.
    assert await kit.event_types(site["code"]) == ["imaging.site.registered.v1"]


async def test_a_group_code_is_unique_in_its_site_whatever_its_case(park: Park) -> None:
    first, second = await park.create_site(), await park.create_site()
    mine = await park.create(f"{SITES}/{first['code']}/groups", {"code": "LABO", "name": "Labo"})

    twin = await park.kit.client.post(
        f"{SITES}/{first['code']}/groups",
        json={"code": "labo", "name": "Autre"},
        headers=park.kit.technician,
    )
    assert twin.status_code == 409, twin.text
    assert twin.json()["field"] == "code"

    elsewhere = await park.create(
        f"{SITES}/{second['code']}/groups", {"code": "labo", "name": "Labo"}
    )
    assert elsewhere["site_code"] == second["code"]
    # Each site finds its own.
    for site, group in ((first, mine), (second, elsewhere)):
        found = await park.get(f"{SITES}/{site['code']}/groups/LABO")
        assert found.json()["id"] == group["id"]


async def test_a_group_of_a_site_the_caller_does_not_cover_is_refused(park: Park, kit: Any) -> None:
    mine, other = await park.create_site(), await park.create_site()
    await park.create(f"{SITES}/{other['code']}/groups", {"code": "G1", "name": "G1"})
    technician = kit.token("technician", sites=[mine["code"]])

    assert (await park.get(f"{SITES}/{other['code']}/groups/G1", technician)).status_code == 403
    deleted = await kit.client.delete(
        f"{SITES}/{other['code']}/groups/G1", headers={**technician, "If-Match": '"1"'}
    )
    assert deleted.status_code == 403
    assert (await park.get(f"{SITES}/{other['code']}/groups/G1")).status_code == 200


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"code": "", "name": "X"}, "code"),
        ({"code": "A B", "name": "X"}, "code"),
        ({"code": "A" * 41, "name": "X"}, "code"),
        ({"code": "G", "name": ""}, "name"),
        ({"code": "G", "name": "X", "members": []}, "members"),
    ],
)
async def test_a_malformed_group_is_refused_naming_the_field(
    park: Park, kit: Any, body: dict[str, Any], field: str
) -> None:
    site = await park.create_site()
    response = await kit.client.post(
        f"{SITES}/{site['code']}/groups", json=body, headers=kit.technician
    )
    assert response.status_code == 422, response.text
    assert [e["field"] for e in response.json()["errors"]] == [field]
