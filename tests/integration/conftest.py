"""Every service's API, running on its own migrated database, for the checks that go
over every operation of every OpenAPI document: access, bad bytes, fuzzing. A service
added to `guichet.services.SERVICES` is covered without a line here."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from guichet.services import SERVICES
from guichet_common.identity import Role, mint_token
from guichet_common.testing.plugin import scratch_database

JWT_SECRET = "sweep-tests-secret-of-at-least-32-bytes!"


@dataclass(frozen=True)
class ServiceApi:
    name: str
    app: FastAPI
    client: httpx.AsyncClient
    document: dict[str, Any]  # its OpenAPI document

    def token(self, *roles: str, sites: list[str] | None = None) -> dict[str, str]:
        token = mint_token(JWT_SECRET, subject="sweep", roles=list(roles), sites=sites)
        return {"Authorization": f"Bearer {token}"}

    @property
    def admin(self) -> dict[str, str]:
        return self.token(Role.ADMIN)

    async def api_key(self, *scopes: str) -> dict[str, str]:
        created = await self.client.post(
            f"/api/{self.name}/api-keys",
            json={"name": f"sweep {' '.join(scopes)}", "scopes": list(scopes)},
            headers=self.admin,
        )
        assert created.status_code == 201, created.text
        return {"Authorization": f"Bearer {created.json()['api_key']}"}


@pytest.fixture(scope="session")
async def service_apis(
    postgres_admin_url: str, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[dict[str, ServiceApi]]:
    """The services' apps (no broker: their outboxes hold what they publish), on a database
    of their own, with their real migrations, so what the sweeps write touches no other
    test."""
    async with AsyncExitStack() as stack:
        url = await stack.enter_async_context(scratch_database(postgres_admin_url, "sweep"))
        data_dir: Path = tmp_path_factory.mktemp("sweep")
        apis: dict[str, ServiceApi] = {}
        for entry in SERVICES:
            await asyncio.to_thread(_upgrade, entry.alembic_config(url))
            settings_type = type(entry.definition().settings)
            settings = settings_type(
                database_url=url,
                amqp_url=None,
                jwt_secret=JWT_SECRET,
                data_dir=data_dir / entry.name,
                rate_limit="100000/minute",
                decision_rate_limit="100000/minute",
            )
            app: FastAPI = entry.main.create_app(settings)
            await stack.enter_async_context(app.router.lifespan_context(app))
            client = await stack.enter_async_context(
                httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t")
            )
            apis[entry.name] = ServiceApi(entry.name, app, client, app.openapi())
        yield apis


def _upgrade(config: Any) -> None:
    from alembic import command

    command.upgrade(config, "head")
