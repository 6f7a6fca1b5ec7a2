"""`/api/imaging/sites/{code}` changed: If-Match, only the fields sent, nothing written
when nothing changes; and who may register and change sites."""

from __future__ import annotations

from typing import Any

import pytest

from .conftest import SITES, WEEK_WITH_LUNCH, Json, Park, fields_named, new_code, new_uai

pytestmark = pytest.mark.integration


# --- changes -------------------------------------------------------------------------------------


async def test_a_change_needs_the_etag_and_changes_only_what_is_sent(park: Park, kit: Any) -> None:
    site = await park.create_site(uai=None, address="1 rue Basse")
    path = f"{SITES}/{site['code']}"
    body = {"name": "Collège Pelletier", "zone": "C", "opening_hours": WEEK_WITH_LUNCH}

    etag = await park.refused_without_the_etag("PATCH", path, json=body)
    # The code in the path in another case: the same site.
    changed = await park.write("PATCH", path.lower(), etag, json=body)

    assert changed.status_code == 200, changed.text
    assert changed.headers["ETag"] == '"2"'
    after = changed.json()
    assert (after["name"], after["zone"]) == ("Collège Pelletier", "C")
    assert [day["weekday"] for day in after["opening_hours"]] == [0, 1, 2, 3, 4]
    assert after["address"] == "1 rue Basse" and after["code"] == site["code"]
    assert after["updated_at"] >= site["updated_at"]
    assert (await park.get(path)).json() == after

    events = await kit.events(site["code"])
    assert [e["type"] for e in events] == [
        "imaging.site.registered.v1",
        "imaging.site.updated.v1",
    ]
    assert events[1]["data"]["version"] == 2
    assert events[1]["data"]["name"] == "Collège Pelletier"
    assert events[1]["data"]["opening_hours"] == after["opening_hours"]

    # The same values again: nothing written, no event, the same ETag.
    again = await park.write("PATCH", path, '"2"', json=body)
    assert again.status_code == 200, again.text
    assert again.headers["ETag"] == '"2"'
    assert len(await kit.events(site["code"])) == 2


async def test_null_clears_a_field_or_derives_the_prefix_again(park: Park) -> None:
    code = new_code()
    site = await park.create_site(
        code, department="45", address="1 rue Haute", hostname_prefix="XY"
    )
    path = f"{SITES}/{code}"
    changed = await park.write(
        "PATCH",
        path,
        '"1"',
        json={"department": None, "address": None, "hostname_prefix": None},
    )
    assert changed.status_code == 200, changed.text
    after = changed.json()
    assert after["department"] is None and after["address"] is None
    assert after["hostname_prefix"] == code.replace("-", "")[:6] != site["hostname_prefix"]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"code": "OTHER"}, "code"),
        ({"name": None}, "name"),
        ({"zone": "D"}, "zone"),
        ({"active": None}, "active"),
        ({"uai": "0450782G"}, "uai"),
        (
            {"opening_hours": [{"weekday": 0, "ranges": [{"start": "09:00", "end": "08:00"}]}]},
            "opening_hours.0.ranges.0.end",
        ),
    ],
)
async def test_a_refused_change_names_its_field_and_changes_nothing(
    park: Park, kit: Any, body: Json, field: str
) -> None:
    site = await park.create_site()
    path = f"{SITES}/{site['code']}"
    response = await park.write("PATCH", path, '"1"', json=body)
    assert response.status_code == 422, response.text
    assert fields_named(response) == [field]
    assert (await park.get(path)).json() == site
    assert len(await kit.events(site["code"])) == 1


async def test_a_uai_another_site_holds_is_a_409_on_change(park: Park) -> None:
    holder = await park.create_site(uai=new_uai())
    site = await park.create_site()
    path = f"{SITES}/{site['code']}"

    response = await park.write("PATCH", path, '"1"', json={"uai": holder["uai"], "name": "B"})

    assert response.status_code == 409, response.text
    assert response.json()["field"] == "uai"
    assert (await park.get(path)).json() == site
    assert len(await park.kit.events(site["code"])) == 1


# --- who may -------------------------------------------------------------------------------------


async def test_a_caller_limited_to_some_sites_sees_and_changes_those_only(
    park: Park, kit: Any
) -> None:
    mine, other = await park.create_site(), await park.create_site()
    limited = kit.token("supervisor", sites=[mine["code"].lower()])

    listed = await kit.client.get(SITES, params={"limit": 200}, headers=limited)
    assert listed.status_code == 200
    assert [s["code"] for s in listed.json()["items"]] == [mine["code"]]

    assert (await park.get(f"{SITES}/{mine['code']}", limited)).status_code == 200
    assert (await park.get(f"{SITES}/{other['code']}", limited)).status_code == 403
    changed = await kit.client.patch(
        f"{SITES}/{other['code']}",
        json={"name": "Pris"},
        headers={**limited, "If-Match": '"1"'},
    )
    assert changed.status_code == 403
    created = await kit.client.post(
        SITES, json={"code": new_code(), "name": "X", "zone": "B"}, headers=limited
    )
    assert created.status_code == 403
    assert (await park.get(f"{SITES}/{other['code']}")).json() == other


async def test_sites_are_a_supervisors_to_register_and_change(park: Park, kit: Any) -> None:
    site = await park.create_site()
    body = {"code": new_code(), "name": "X", "zone": "B"}
    assert (await kit.client.post(SITES, json=body, headers=kit.technician)).status_code == 403
    patched = await kit.client.patch(
        f"{SITES}/{site['code']}",
        json={"name": "Y"},
        headers={**kit.technician, "If-Match": '"1"'},
    )
    assert patched.status_code == 403
    assert (await park.get(f"{SITES}/{site['code']}", kit.technician)).status_code == 200


async def test_a_retried_registration_returns_the_first_answer(kit: Any) -> None:
    code = new_code()
    body = {"code": code, "name": "Collège", "zone": "B"}
    headers = {**kit.supervisor, "Idempotency-Key": f"site-{code}"}

    first = await kit.client.post(SITES, json=body, headers=headers)
    retried = await kit.client.post(SITES, json=body, headers=headers)

    assert first.status_code == retried.status_code == 201
    assert retried.headers["Idempotent-Replayed"] == "true"
    assert retried.json() == first.json()
    assert retried.headers["ETag"] == first.headers["ETag"]
    assert len(await kit.events(code)) == 1
