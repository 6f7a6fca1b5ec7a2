"""API keys through a real service app: admin creates, the key authenticates, revoked keys
stop working; non-admins are refused; bad scopes are a 422 naming the field."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Annotated

import httpx
import pytest
from fastapi import APIRouter, Depends

from guichet_common.auth import Principal, mint_token, require_scopes
from guichet_common.db import schema_metadata
from guichet_common.events import EventRegistry
from guichet_common.runtime import Resources, ServiceDefinition, create_service_app
from guichet_common.settings import CommonSettings
from guichet_common.testing.bus import BusSchema

pytestmark = pytest.mark.integration

SECRET = "api-key-test-secret-api-key-test-secret"


@pytest.fixture
async def client(bus_schema: BusSchema) -> AsyncIterator[httpx.AsyncClient]:
    probe = APIRouter()

    @probe.get("/agent-only")
    async def agent_only(
        who: Annotated[Principal, Depends(require_scopes("imaging:agent"))],
    ) -> dict[str, str]:
        return {"sub": who.subject, "name": who.name or ""}

    definition = ServiceDefinition(
        name="testsvc",
        title="t",
        description="t",
        settings=CommonSettings(jwt_secret=SECRET, database_url="postgresql://unused/x"),
        metadata=schema_metadata(bus_schema.tables.schema),
        tables=bus_schema.tables,
        outbox=bus_schema.outbox,
        published=EventRegistry(),
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


async def test_api_key_lifecycle(client: httpx.AsyncClient) -> None:
    admin = bearer(mint_token(SECRET, subject="root", roles=["admin"]))
    tech = bearer(mint_token(SECRET, subject="t", roles=["technician"]))
    assert (
        await client.post("/api/testsvc/api-keys", json={"name": "x"}, headers=tech)
    ).status_code == 403
    bad = await client.post(
        "/api/testsvc/api-keys", json={"name": "x", "scopes": ["Bad Scope"]}, headers=admin
    )
    assert bad.status_code == 422 and bad.json()["errors"][0]["field"].startswith("scopes")

    created = await client.post(
        "/api/testsvc/api-keys",
        json={"name": "salle 12 agent", "scopes": ["imaging:agent"]},
        headers=admin,
    )
    assert created.status_code == 201
    key = created.json()
    listed = (await client.get("/api/testsvc/api-keys", headers=admin)).json()
    assert [k["key_id"] for k in listed] == [key["key_id"]]
    assert "api_key" not in listed[0], "the secret is shown once, at creation"

    ok = await client.get("/api/testsvc/agent-only", headers=bearer(key["api_key"]))
    assert ok.status_code == 200 and ok.json()["name"] == "salle 12 agent"
    assert (await client.get("/api/testsvc/agent-only", headers=tech)).status_code == 403

    assert (
        await client.delete(f"/api/testsvc/api-keys/{key['key_id']}", headers=admin)
    ).status_code == 204
    assert (
        await client.get("/api/testsvc/agent-only", headers=bearer(key["api_key"]))
    ).status_code == 401
    assert (
        await client.delete(f"/api/testsvc/api-keys/{key['key_id']}", headers=admin)
    ).status_code == 404
