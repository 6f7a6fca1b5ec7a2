"""`/api/imaging/sites/{code}/rooms`: technicians register, change and remove the rooms of
their sites; a removed room leaves the lists and frees its code."""

from __future__ import annotations

from typing import Any

import pytest

from .conftest import SITES, Park, new_code

pytestmark = pytest.mark.integration


async def test_a_room_is_registered_and_published(park: Park, kit: Any) -> None:
    site = await park.create_site()
    rooms = f"{SITES}/{site['code']}/rooms"

    response = await kit.client.post(
        rooms, json={"code": "b104", "name": "Salle B104"}, headers=kit.technician
    )

    assert response.status_code == 201, response.text
    assert response.headers["ETag"] == '"1"'
    room = response.json()
    assert room["code"] == "B104" and room["site_code"] == site["code"]
    assert (room["kind"], room["kind_label"]) == ("classroom", "Salle de classe")
    assert (await park.get(f"{rooms}/b104")).json() == room

    registered = (await kit.events(site["code"]))[-1]
    assert registered["type"] == "imaging.room.registered.v1"
    assert registered["data"] == {
        "room_id": room["id"],
        "site_code": site["code"],
        "room_code": "B104",
        "version": 1,
        "name": "Salle B104",
        "kind": "classroom",
        "kind_label": "Salle de classe",
    }

    twin = await kit.client.post(
        rooms, json={"code": "B104", "name": "Autre", "kind": "lab"}, headers=kit.technician
    )
    assert twin.status_code == 409, twin.text
    assert twin.json()["field"] == "code"
    assert twin.json()["type"] == "urn:guichet:problem:already-exists"


async def test_a_removed_room_is_hidden_and_its_code_registered_again(park: Park, kit: Any) -> None:
    site = await park.create_site()
    rooms = f"{SITES}/{site['code']}/rooms"
    old = await park.create(rooms, {"code": "CDI", "name": "CDI", "kind": "cdi"})
    await park.create(rooms, {"code": "S01", "name": "Salle serveur", "kind": "server_room"})

    etag = await park.refused_without_the_etag("DELETE", f"{rooms}/CDI")
    removed = await park.write("DELETE", f"{rooms}/cdi", etag)

    assert removed.status_code == 204, removed.text
    assert (await park.get(f"{rooms}/CDI")).status_code == 404
    listed = await park.get(rooms)
    assert [r["code"] for r in listed.json()["items"]] == ["S01"]
    event = (await kit.events(site["code"]))[-1]
    assert event["type"] == "imaging.room.removed.v1"
    assert (event["data"]["room_id"], event["data"]["version"]) == (old["id"], 2)
    # Removing it again: it is gone.
    assert (await park.write("DELETE", f"{rooms}/CDI", '"2"')).status_code == 404

    new = await park.create(rooms, {"code": "cdi", "name": "Nouveau CDI", "kind": "cdi"})

    assert new["id"] != old["id"] and new["code"] == "CDI"
    assert (await park.get(f"{rooms}/CDI")).json() == new
    assert [r["code"] for r in (await park.get(rooms)).json()["items"]] == ["CDI", "S01"]
    kept = await kit.scalar(
        "SELECT count(*) FROM imaging.room r JOIN imaging.site s ON s.id = r.site_id "
        "WHERE s.code = :code AND r.code = 'CDI' AND r.removed_at IS NOT NULL",
        code=site["code"],
    )
    assert kept == 1  # hosts keep the old one in their history


async def test_only_live_rooms_are_unique_in_the_database(kit: Any) -> None:
    """The partial index the migration creates (the migration test does not compare an
    index's WHERE clause)."""
    definition = await kit.scalar(
        "SELECT indexdef FROM pg_indexes WHERE schemaname = 'imaging' "
        "AND indexname = 'uq_room_live_code'"
    )
    assert definition is not None
    assert "UNIQUE INDEX" in definition
    assert "(site_id, code) WHERE (removed_at IS NULL)" in definition


async def test_a_room_change_needs_the_etag_and_is_published(park: Park, kit: Any) -> None:
    site = await park.create_site()
    path = f"{SITES}/{site['code']}/rooms/B12"
    await park.create(f"{SITES}/{site['code']}/rooms", {"code": "B12", "name": "Salle B12"})

    etag = await park.refused_without_the_etag("PATCH", path, json={"kind": "lab"})
    changed = await park.write("PATCH", path, etag, json={"kind": "lab"})

    assert changed.status_code == 200, changed.text
    assert changed.headers["ETag"] == '"2"'
    assert (changed.json()["kind"], changed.json()["kind_label"]) == ("lab", "Laboratoire")
    assert changed.json()["name"] == "Salle B12"
    event = (await kit.events(site["code"]))[-1]
    assert event["type"] == "imaging.room.updated.v1"
    assert (event["data"]["version"], event["data"]["kind_label"]) == (2, "Laboratoire")

    renamed = await park.write("PATCH", path, '"2"', json={"code": "B13"})
    assert renamed.status_code == 422
    assert [e["field"] for e in renamed.json()["errors"]] == ["code"]


async def test_rooms_list_by_code_filtered_by_kind_and_paged(park: Park) -> None:
    site = await park.create_site()
    rooms = f"{SITES}/{site['code']}/rooms"
    for code, kind in (("C3", "office"), ("A1", "classroom"), ("B2", "lab"), ("D4", "lab")):
        await park.create(rooms, {"code": code, "name": f"Salle {code}", "kind": kind})

    first = await park.get(f"{rooms}?limit=3")
    assert [r["code"] for r in first.json()["items"]] == ["A1", "B2", "C3"]
    second = await park.get(f"{rooms}?limit=3&cursor={first.json()['next_cursor']}")
    assert [r["code"] for r in second.json()["items"]] == ["D4"]
    assert second.json()["next_cursor"] is None
    labs = await park.get(f"{rooms}?kind=lab")
    assert [r["code"] for r in labs.json()["items"]] == ["B2", "D4"]


async def test_a_technician_writes_the_rooms_of_their_sites_only(park: Park, kit: Any) -> None:
    mine, other = await park.create_site(), await park.create_site()
    technician = kit.token("technician", sites=[mine["code"]])
    body = {"code": "E1", "name": "Salle E1"}

    created = await park.create(f"{SITES}/{mine['code']}/rooms", body, technician)
    assert created["code"] == "E1"

    refused = await kit.client.post(f"{SITES}/{other['code']}/rooms", json=body, headers=technician)
    assert refused.status_code == 403
    assert (await park.get(f"{SITES}/{other['code']}/rooms", technician)).status_code == 403
    assert (await park.get(f"{SITES}/{other['code']}/rooms")).json()["items"] == []

    await park.create(f"{SITES}/{other['code']}/rooms", body)
    for method, etag in (("PATCH", '"1"'), ("DELETE", '"1"')):
        response = await kit.client.request(
            method,
            f"{SITES}/{other['code']}/rooms/E1",
            json={"name": "Pris"} if method == "PATCH" else None,
            headers={**technician, "If-Match": etag},
        )
        assert response.status_code == 403, method
    assert (await park.get(f"{SITES}/{other['code']}/rooms/E1")).json()["name"] == "Salle E1"


async def test_rooms_of_an_unknown_site_are_a_404(park: Park, kit: Any) -> None:
    code = new_code()
    response = await kit.client.post(
        f"{SITES}/{code}/rooms", json={"code": "A1", "name": "A1"}, headers=kit.technician
    )
    assert response.status_code == 404
    assert response.json()["detail"] == f"no site {code}"
    assert (await park.get(f"{SITES}/{code}/rooms")).status_code == 404


async def test_a_retried_room_registration_returns_the_first_answer(park: Park, kit: Any) -> None:
    first_site, second_site = await park.create_site(), await park.create_site()
    body = {"code": "F1", "name": "Salle F1"}
    headers = {**kit.technician, "Idempotency-Key": f"room-{first_site['code']}"}

    first = await kit.client.post(f"{SITES}/{first_site['code']}/rooms", json=body, headers=headers)
    retried = await kit.client.post(
        f"{SITES}/{first_site['code']}/rooms", json=body, headers=headers
    )
    elsewhere = await kit.client.post(
        f"{SITES}/{second_site['code']}/rooms", json=body, headers=headers
    )

    assert retried.headers["Idempotent-Replayed"] == "true"
    assert retried.json() == first.json()
    # The same key for another site's room is another request, not a replay.
    assert elsewhere.status_code == 422
    assert elsewhere.json()["type"] == "urn:guichet:problem:idempotency-key-reused"
    assert await kit.event_types(first_site["code"]) == [
        "imaging.site.registered.v1",
        "imaging.room.registered.v1",
    ]
