"""API keys through a real service app: an admin creates, reads and revokes them (If-Match);
a key opens what its scope grants and nothing else; people-only endpoints refuse every key."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Annotated

import httpx
import pytest
from fastapi import APIRouter, Depends

from guichet_common.auth import Principal, require_access, require_roles
from guichet_common.db import schema_metadata
from guichet_common.events import EventRegistry
from guichet_common.identity import Role, mint_token
from guichet_common.runtime import Resources, ServiceDefinition, create_service_app, no_state
from guichet_common.settings import CommonSettings
from guichet_common.testing.bus import BusSchema

pytestmark = pytest.mark.integration

SECRET = "api-key-test-secret-api-key-test-secret"


@pytest.fixture
async def client(bus_schema: BusSchema) -> AsyncIterator[httpx.AsyncClient]:
    probe = APIRouter()

    def answer(who: Principal) -> dict[str, str]:
        return {"sub": who.subject, "name": who.name or ""}

    @probe.get("/things")
    async def read_things(
        who: Annotated[
            Principal, Depends(require_access("testsvc", Role.TECHNICIAN, access="read"))
        ],
    ) -> dict[str, str]:
        return answer(who)

    @probe.post("/things")
    async def write_things(
        who: Annotated[
            Principal, Depends(require_access("testsvc", Role.TECHNICIAN, access="write"))
        ],
    ) -> dict[str, str]:
        return answer(who)

    @probe.post("/agent/check-in")
    async def agent_check_in(
        who: Annotated[Principal, Depends(require_access("testsvc", access="agent"))],
    ) -> dict[str, str]:
        return answer(who)

    @probe.get("/people-only")
    async def people_only(
        who: Annotated[Principal, Depends(require_roles(Role.TECHNICIAN))],
    ) -> dict[str, str]:
        return answer(who)

    definition = ServiceDefinition(
        name="testsvc",
        title="t",
        description="t",
        settings=CommonSettings(jwt_secret=SECRET, database_url="postgresql://unused/x"),
        metadata=schema_metadata(bus_schema.tables.schema),
        tables=bus_schema.tables,
        outbox=bus_schema.outbox,
        published=EventRegistry(),
        lifespan=no_state,
        routers=[probe],
    )
    resources = Resources(bus_schema.engine, bus_schema.session_factory)
    app = create_service_app(definition, resources)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as c:
            yield c


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


ADMIN = bearer(mint_token(SECRET, subject="root", roles=["admin"]))
TECH = bearer(mint_token(SECRET, subject="t", roles=["technician"]))


async def _key(client: httpx.AsyncClient, *scopes: str) -> dict[str, str]:
    created = await client.post(
        "/api/testsvc/api-keys",
        json={"name": f"key {scopes}", "scopes": list(scopes)},
        headers=ADMIN,
    )
    assert created.status_code == 201, created.text
    return bearer(created.json()["api_key"])


async def test_only_admins_manage_keys_and_bad_scopes_name_the_field(
    client: httpx.AsyncClient,
) -> None:
    assert (
        await client.post("/api/testsvc/api-keys", json={"name": "x", "scopes": []}, headers=TECH)
    ).status_code == 403
    for scopes in (["Bad Scope"], ["testsvc:delete"], ["imaging:agent"], []):
        bad = await client.post(
            "/api/testsvc/api-keys", json={"name": "x", "scopes": scopes}, headers=ADMIN
        )
        assert bad.status_code == 422, scopes
        assert (
            bad.json()["errors"][0]["field"].startswith("scopes")
            if "errors" in bad.json()
            else (bad.json()["field"] == "scopes")
        )


@pytest.mark.parametrize(
    ("scope", "read", "write", "agent"),
    [
        ("testsvc:read", 200, 403, 403),
        ("testsvc:write", 200, 200, 403),
        ("testsvc:agent", 403, 403, 200),
    ],
)
async def test_a_key_opens_what_its_scope_grants(
    client: httpx.AsyncClient, scope: str, read: int, write: int, agent: int
) -> None:
    key = await _key(client, scope)
    assert (await client.get("/api/testsvc/things", headers=key)).status_code == read
    assert (await client.post("/api/testsvc/things", headers=key)).status_code == write
    assert (await client.post("/api/testsvc/agent/check-in", headers=key)).status_code == agent
    # People-only and admin endpoints refuse every key, whatever its scope.
    assert (await client.get("/api/testsvc/people-only", headers=key)).status_code == 403
    assert (await client.get("/api/testsvc/api-keys", headers=key)).status_code == 403


async def test_people_pass_by_role(client: httpx.AsyncClient) -> None:
    assert (await client.get("/api/testsvc/things", headers=TECH)).status_code == 200
    assert (await client.post("/api/testsvc/agent/check-in", headers=TECH)).status_code == 403
    assert (await client.post("/api/testsvc/agent/check-in", headers=ADMIN)).status_code == 200
    assert (await client.get("/api/testsvc/things")).status_code == 401


async def test_revoking_needs_the_etag_and_ends_the_key(client: httpx.AsyncClient) -> None:
    created = await client.post(
        "/api/testsvc/api-keys",
        json={"name": "salle 12 agent", "scopes": ["testsvc:agent"], "sites": ["0450001A"]},
        headers=ADMIN,
    )
    key = created.json()
    listed = (await client.get("/api/testsvc/api-keys", headers=ADMIN)).json()
    assert key["key_id"] in [k["key_id"] for k in listed]
    assert all("api_key" not in k for k in listed), "the secret is shown once, at creation"
    ok = await client.post("/api/testsvc/agent/check-in", headers=bearer(key["api_key"]))
    assert ok.json()["name"] == "salle 12 agent"

    url = f"/api/testsvc/api-keys/{key['key_id']}"
    read = await client.get(url, headers=ADMIN)
    assert read.json()["sites"] == ["0450001A"]
    assert (await client.delete(url, headers=ADMIN)).status_code == 428
    stale = await client.delete(url, headers={**ADMIN, "If-Match": '"0"'})
    assert stale.status_code == 412
    revoked = await client.delete(url, headers={**ADMIN, "If-Match": read.headers["ETag"]})
    assert revoked.status_code == 204
    gone = await client.post("/api/testsvc/agent/check-in", headers=bearer(key["api_key"]))
    assert gone.status_code == 401
    again = await client.delete(url, headers={**ADMIN, "If-Match": read.headers["ETag"]})
    assert again.status_code == 404
