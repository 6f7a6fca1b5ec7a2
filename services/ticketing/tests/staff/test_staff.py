"""`/api/ticketing/groups…` and `/api/ticketing/technicians…`: the helpdesk reads them, a
supervisor manages them; a technician belongs to groups that exist."""

from __future__ import annotations

import secrets
from typing import Any

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from ticketing.staff import repository

from ..conftest import Kit, fields_named

pytestmark = pytest.mark.integration

GROUPS = "/api/ticketing/groups"
TECHNICIANS = "/api/ticketing/technicians"
Json = dict[str, Any]


def new_code(prefix: str = "grp") -> str:
    """A code or login no other test uses (the database is shared by a run's tests)."""
    return f"{prefix}_{secrets.token_hex(4)}"


async def create_group(kit: Kit, **fields: Any) -> Json:
    body = {"code": new_code(), "name": "Proximité Orléans nord", **fields}
    response = await kit.client.post(GROUPS, json=body, headers=kit.supervisor)
    assert response.status_code == 201, response.text
    created: Json = response.json()
    return created


async def create_technician(kit: Kit, **fields: Any) -> Json:
    body = {
        "login": new_code("tech"),
        "name": "Théo Technicien",
        "email": "theo.technicien@loiret.fr",
        **fields,
    }
    response = await kit.client.post(TECHNICIANS, json=body, headers=kit.supervisor)
    assert response.status_code == 201, response.text
    created: Json = response.json()
    return created


async def patch(kit: Kit, path: str, body: Json) -> httpx.Response:
    etag = await kit.etag(path)
    return await kit.client.patch(path, json=body, headers={**kit.supervisor, "If-Match": etag})


def refused_on(response: httpx.Response, field: str) -> None:
    assert response.status_code == 422, response.text
    assert response.json()["type"] == "urn:guichet:problem:validation-error"
    assert fields_named(response) == [field]


async def everything(kit: Kit, path: str, **params: Any) -> list[Json]:
    """Every page of a list."""
    items: list[Json] = []
    cursor = None
    while True:
        query = {**params, "limit": 2, **({"cursor": cursor} if cursor else {})}
        page = await kit.client.get(path, params=query, headers=kit.technician)
        assert page.status_code == 200, page.text
        items += page.json()["items"]
        cursor = page.json()["next_cursor"]
        if cursor is None:
            return items


async def assert_needs_the_etag(kit: Kit, path: str, body: Json) -> None:
    before = await kit.client.get(path, headers=kit.supervisor)
    missing = await kit.client.patch(path, json=body, headers=kit.supervisor)
    assert missing.status_code == 428, missing.text
    assert missing.json()["type"] == "urn:guichet:problem:precondition-required"
    stale = await kit.client.patch(path, json=body, headers={**kit.supervisor, "If-Match": '"0"'})
    assert stale.status_code == 412, stale.text
    assert stale.json()["type"] == "urn:guichet:problem:precondition-failed"
    assert stale.json()["etag"] == before.headers["ETag"]
    after = await kit.client.get(path, headers=kit.supervisor)
    assert after.json() == before.json()
    assert after.headers["ETag"] == before.headers["ETag"]


# --- support groups --------------------------------------------------------------------------


async def test_a_group_is_created_read_and_changed(kit: Kit) -> None:
    created = await create_group(kit, email="Proximite.Nord@Loiret.FR")
    assert created["email"] == "Proximite.Nord@loiret.fr"
    assert created["active"] is True
    path = f"{GROUPS}/{created['code']}"
    read = await kit.client.get(path, headers=kit.technician)
    assert read.status_code == 200, read.text
    assert read.json() == created
    assert read.headers["ETag"] == '"1"'

    changed = await patch(kit, path, {"name": "Proximité nord", "email": None, "active": False})
    assert changed.status_code == 200, changed.text
    assert changed.headers["ETag"] == '"2"'
    assert (changed.json()["name"], changed.json()["email"], changed.json()["active"]) == (
        "Proximité nord",
        None,
        False,
    )
    same = await patch(kit, path, {"active": False})
    assert same.headers["ETag"] == '"2"'


async def test_a_group_patch_needs_the_etag(kit: Kit) -> None:
    created = await create_group(kit)
    await assert_needs_the_etag(kit, f"{GROUPS}/{created['code']}", {"name": "Autre"})


async def test_a_group_code_taken_is_409(kit: Kit) -> None:
    created = await create_group(kit)
    twin = await kit.client.post(
        GROUPS, json={"code": created["code"], "name": "Twin"}, headers=kit.supervisor
    )
    assert twin.status_code == 409, twin.text
    assert twin.json()["type"] == "urn:guichet:problem:already-exists"
    assert twin.json()["field"] == "code"


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"code": "Upper", "name": "X"}, "code"),
        ({"code": "g", "name": "X"}, "code"),
        ({"code": "grp_ok", "name": ""}, "name"),
        ({"code": "grp_ok", "name": "X", "email": "not-an-email"}, "email"),
        ({"code": "grp_ok", "name": "X", "extra": 1}, "extra"),
    ],
)
async def test_a_group_is_checked(kit: Kit, body: Json, field: str) -> None:
    refused_on(await kit.client.post(GROUPS, json=body, headers=kit.supervisor), field)


async def test_groups_are_listed_by_code_page_by_page(kit: Kit) -> None:
    prefix = f"lst{secrets.token_hex(3)}"
    codes = [f"{prefix}_{n}" for n in ("c", "a", "b")]
    for code in codes:
        await create_group(kit, code=code, active=code != f"{prefix}_b")
    listed = [g["code"] for g in await everything(kit, GROUPS) if g["code"].startswith(prefix)]
    assert listed == sorted(codes)
    inactive = await everything(kit, GROUPS, active="false")
    assert [g["code"] for g in inactive if g["code"].startswith(prefix)] == [f"{prefix}_b"]


async def test_only_a_supervisor_writes_groups_and_requesters_do_not_read_them(kit: Kit) -> None:
    code = new_code()
    refused = await kit.client.post(
        GROUPS, json={"code": code, "name": "X"}, headers=kit.technician
    )
    assert refused.status_code == 403, refused.text
    assert (await kit.client.get(f"{GROUPS}/{code}", headers=kit.technician)).status_code == 404
    created = await create_group(kit)
    path = f"{GROUPS}/{created['code']}"
    patched = await kit.client.patch(
        path, json={"name": "X"}, headers={**kit.technician, "If-Match": '"1"'}
    )
    assert patched.status_code == 403, patched.text
    assert (await kit.client.get(path, headers=kit.requester())).status_code == 403
    assert (await kit.client.get(GROUPS, headers=kit.requester())).status_code == 403


async def test_an_unknown_group_is_404(kit: Kit) -> None:
    missing = await kit.client.get(f"{GROUPS}/no_such_group", headers=kit.technician)
    assert missing.status_code == 404, missing.text
    assert missing.json()["type"] == "urn:guichet:problem:not-found"


async def test_a_retried_group_create_returns_the_first_answer(kit: Kit) -> None:
    body = {"code": new_code(), "name": "Atelier"}
    headers = {**kit.supervisor, "Idempotency-Key": secrets.token_hex(8)}
    first = await kit.client.post(GROUPS, json=body, headers=headers)
    again = await kit.client.post(GROUPS, json=body, headers=headers)
    assert (first.status_code, again.status_code) == (201, 201)
    assert again.headers["Idempotent-Replayed"] == "true"
    assert again.json() == first.json()


# --- technicians -----------------------------------------------------------------------------


async def test_a_technician_is_created_read_and_changed(kit: Kit) -> None:
    north, south = await create_group(kit), await create_group(kit)
    created = await create_technician(
        kit, phone="02 38 00 00 00", group_codes=[north["code"], south["code"]]
    )
    assert created["group_codes"] == [north["code"], south["code"]]
    assert created["active"] is True
    path = f"{TECHNICIANS}/{created['login']}"
    read = await kit.client.get(path, headers=kit.technician)
    assert read.json() == created
    assert read.headers["ETag"] == '"1"'

    changed = await patch(
        kit, path, {"group_codes": [south["code"]], "phone": None, "email": "theo@Loiret.fr"}
    )
    assert changed.status_code == 200, changed.text
    assert changed.headers["ETag"] == '"2"'
    body = changed.json()
    assert (body["group_codes"], body["phone"], body["email"]) == (
        [south["code"]],
        None,
        "theo@loiret.fr",
    )
    assert body["name"] == created["name"]


async def test_a_technician_patch_needs_the_etag(kit: Kit) -> None:
    created = await create_technician(kit)
    await assert_needs_the_etag(kit, f"{TECHNICIANS}/{created['login']}", {"name": "Autre"})


async def test_a_login_taken_is_409(kit: Kit) -> None:
    created = await create_technician(kit)
    twin = await kit.client.post(
        TECHNICIANS,
        json={"login": created["login"], "name": "Twin", "email": "twin@loiret.fr"},
        headers=kit.supervisor,
    )
    assert twin.status_code == 409, twin.text
    assert twin.json()["type"] == "urn:guichet:problem:already-exists"
    assert twin.json()["field"] == "login"


async def test_a_technicians_groups_must_exist(kit: Kit) -> None:
    group = await create_group(kit)
    body = {
        "login": new_code("tech"),
        "name": "X",
        "email": "x@loiret.fr",
        "group_codes": [group["code"], "no_such_group"],
    }
    refused = await kit.client.post(TECHNICIANS, json=body, headers=kit.supervisor)
    refused_on(refused, "group_codes.1")
    assert (
        await kit.client.get(f"{TECHNICIANS}/{body['login']}", headers=kit.technician)
    ).status_code == 404

    created = await create_technician(kit, group_codes=[group["code"]])
    path = f"{TECHNICIANS}/{created['login']}"
    refused_on(await patch(kit, path, {"group_codes": ["no_such_group"]}), "group_codes.0")
    assert (await kit.client.get(path, headers=kit.technician)).json() == created


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"email": None}, "email"),
        ({"email": "not-an-email"}, "email"),
        ({"email": "x@localhost"}, "email"),
        ({"phone": "abc"}, "phone"),
        ({"name": ""}, "name"),
        ({"login": ""}, "login"),
        ({"group_codes": ["a_group", "a_group"]}, "group_codes.1"),
    ],
)
async def test_a_technician_is_checked(kit: Kit, fields: Json, field: str) -> None:
    body = {"login": new_code("tech"), "name": "X", "email": "x@loiret.fr", **fields}
    refused_on(await kit.client.post(TECHNICIANS, json=body, headers=kit.supervisor), field)


async def test_a_technician_needs_an_email(kit: Kit) -> None:
    body = {"login": new_code("tech"), "name": "X"}
    refused_on(await kit.client.post(TECHNICIANS, json=body, headers=kit.supervisor), "email")


async def test_a_patch_may_not_null_what_is_required(kit: Kit) -> None:
    created = await create_technician(kit)
    path = f"{TECHNICIANS}/{created['login']}"
    for name in ("name", "email", "group_codes", "active"):
        refused_on(await patch(kit, path, {name: None}), name)
    refused_on(await patch(kit, path, {"login": "other"}), "login")


async def test_technicians_are_listed_by_login_and_filtered(kit: Kit) -> None:
    group, other = await create_group(kit), await create_group(kit)
    prefix = f"lst{secrets.token_hex(3)}"
    logins = [f"{prefix}.{n}" for n in ("d", "a", "c", "b")]
    await create_technician(kit, login=logins[0], group_codes=[group["code"]])
    await create_technician(kit, login=logins[1], group_codes=[other["code"], group["code"]])
    await create_technician(kit, login=logins[2], group_codes=[other["code"]])
    await create_technician(kit, login=logins[3], group_codes=[group["code"]], active=False)

    def mine(items: list[Json]) -> list[str]:
        return [t["login"] for t in items if t["login"].startswith(prefix)]

    assert mine(await everything(kit, TECHNICIANS)) == sorted(logins)
    members = await everything(kit, TECHNICIANS, group=group["code"])
    assert [t["login"] for t in members] == [f"{prefix}.a", f"{prefix}.b", f"{prefix}.d"]
    active = await everything(kit, TECHNICIANS, group=group["code"], active="true")
    assert [t["login"] for t in active] == [f"{prefix}.a", f"{prefix}.d"]
    assert await everything(kit, TECHNICIANS, group="no_such_group") == []


async def test_a_cursor_from_elsewhere_is_refused(kit: Kit) -> None:
    refused = await kit.client.get(
        TECHNICIANS, params={"cursor": "not-a-cursor"}, headers=kit.technician
    )
    refused_on(refused, "cursor")


async def test_only_a_supervisor_writes_technicians(kit: Kit) -> None:
    login = new_code("tech")
    refused = await kit.client.post(
        TECHNICIANS,
        json={"login": login, "name": "X", "email": "x@loiret.fr"},
        headers=kit.technician,
    )
    assert refused.status_code == 403, refused.text
    assert (
        await kit.client.get(f"{TECHNICIANS}/{login}", headers=kit.technician)
    ).status_code == 404
    created = await create_technician(kit)
    path = f"{TECHNICIANS}/{created['login']}"
    patched = await kit.client.patch(
        path, json={"name": "X"}, headers={**kit.technician, "If-Match": '"1"'}
    )
    assert patched.status_code == 403, patched.text
    assert (await kit.client.get(path, headers=kit.requester())).status_code == 403
    assert (await kit.client.get(TECHNICIANS, headers=kit.requester())).status_code == 403


async def test_a_retried_technician_create_returns_the_first_answer(kit: Kit) -> None:
    body = {"login": new_code("tech"), "name": "X", "email": "x@loiret.fr"}
    headers = {**kit.supervisor, "Idempotency-Key": secrets.token_hex(8)}
    first = await kit.client.post(TECHNICIANS, json=body, headers=headers)
    again = await kit.client.post(TECHNICIANS, json=body, headers=headers)
    assert (first.status_code, again.status_code) == (201, 201)
    assert again.headers["Idempotent-Replayed"] == "true"
    assert again.json() == first.json()


# --- the lookups other packages use ------------------------------------------------------------


async def test_the_repository_finds_technicians_and_groups(kit: Kit) -> None:
    group = await create_group(kit)
    technician = await create_technician(kit, group_codes=[group["code"]])
    async with AsyncSession(kit.engine) as session:
        found = await repository.find_technician(session, technician["login"])
        assert found is not None
        assert (found.email, found.group_codes) == (technician["email"], [group["code"]])
        found_group = await repository.find_group(session, group["code"])
        assert found_group is not None
        assert found_group.name == group["name"]
        assert await repository.find_technician(session, "nobody") is None
        assert await repository.find_group(session, "no_such_group") is None
