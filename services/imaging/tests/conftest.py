"""What imaging tests share: an API client on a fresh app, people's tokens, API keys, the
database and the outbox."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from pydantic import SecretStr
from sqlalchemy import event, text
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from guichet_common.identity import mint_token
from guichet_common.testing.client import app_client
from imaging.main import create_app
from imaging.settings import ImagingSettings

BASE_URL = "http://imaging.test"


@pytest.fixture(scope="session")
def service_root() -> Path:
    return Path(__file__).resolve().parents[1]


@pytest.fixture
def settings(migrated_database_url: str) -> ImagingSettings:
    return ImagingSettings(
        database_url=migrated_database_url,
        public_base_url=BASE_URL,
        jwt_secret=SecretStr("imaging-tests-secret-of-at-least-32-bytes"),
    )


MakeClient = Callable[..., AbstractAsyncContextManager[httpx.AsyncClient]]


@pytest.fixture
def make_client(settings: ImagingSettings) -> MakeClient:
    """An ASGI client on a fresh app; keywords override settings."""

    def factory(**overrides: Any) -> AbstractAsyncContextManager[httpx.AsyncClient]:
        return app_client(create_app(settings.model_copy(update=overrides)), BASE_URL)

    return factory


@pytest.fixture
async def client(make_client: MakeClient) -> AsyncIterator[httpx.AsyncClient]:
    async with make_client() as c:
        yield c


@dataclass
class Kit:
    """What most imaging tests need: the API client, tokens, the database."""

    client: httpx.AsyncClient
    engine: AsyncEngine
    settings: ImagingSettings

    def token(self, *roles: str, sites: list[str] | None = None) -> dict[str, str]:
        """A person's headers with `roles` (default: a technician)."""
        minted = mint_token(
            self.settings.jwt_secret.get_secret_value(),
            subject="tech1",
            roles=list(roles or ("technician",)),
            sites=sites,
        )
        return {"Authorization": f"Bearer {minted}"}

    @property
    def technician(self) -> dict[str, str]:
        return self.token("technician")

    @property
    def supervisor(self) -> dict[str, str]:
        return self.token("supervisor")

    async def api_key(self, scope: str, sites: list[str] | None = None) -> str:
        """A new API key of imaging (`imaging:agent`, …), created by an admin."""
        created = await self.client.post(
            "/api/imaging/api-keys",
            json={"name": f"agent ({scope})", "scopes": [scope], "sites": sites or []},
            headers=self.token("admin"),
        )
        assert created.status_code == 201, created.text
        key: str = created.json()["api_key"]
        return key

    async def etag(self, path: str) -> str:
        response = await self.client.get(path, headers=self.supervisor)
        assert response.status_code == 200, response.text
        return response.headers["ETag"]

    async def events(self, subject: str) -> list[dict[str, Any]]:
        """The envelopes imaging wrote to its outbox about one subject, oldest first."""
        async with self.engine.connect() as conn:
            rows = await conn.execute(
                text("SELECT envelope FROM imaging.outbox WHERE subject = :s ORDER BY seq"),
                {"s": subject},
            )
            return [row[0] for row in rows]

    async def event_types(self, subject: str) -> list[str]:
        return [e["type"] for e in await self.events(subject)]

    async def scalar(self, statement: str, **params: Any) -> Any:
        async with self.engine.connect() as conn:
            return await conn.scalar(text(statement), params)


@pytest.fixture
def kit(client: httpx.AsyncClient, engine: AsyncEngine, settings: ImagingSettings) -> Kit:
    return Kit(client, engine, settings)


@dataclass
class ApiCalls:
    """Reads and If-Match writes of a test's domain helper (`Park`, `Fleet`)."""

    kit: Kit

    async def get(self, path: str, headers: dict[str, str] | None = None) -> httpx.Response:
        response: httpx.Response = await self.kit.client.get(
            path, headers=headers or self.kit.supervisor
        )
        return response

    async def write(
        self, method: str, path: str, etag: str | None, **kwargs: Any
    ) -> httpx.Response:
        """A write by a supervisor with `If-Match: etag` (none when `etag` is None)."""
        headers = {**self.kit.supervisor, **({"If-Match": etag} if etag is not None else {})}
        response: httpx.Response = await self.kit.client.request(
            method, path, headers=headers, **kwargs
        )
        return response


async def outbox(session: AsyncSession, subject: str) -> list[dict[str, Any]]:
    """The envelopes written about `subject` in `session`'s transaction, oldest first."""
    rows = await session.execute(
        text("SELECT envelope FROM imaging.outbox WHERE subject = :s ORDER BY seq"),
        {"s": subject},
    )
    return [row[0] for row in rows]


@asynccontextmanager
async def statements_of(session: AsyncSession) -> AsyncIterator[list[str]]:
    """The SQL statements the session sends meanwhile."""
    sent: list[str] = []
    connection = (await session.connection()).sync_connection
    assert connection is not None

    def record(*args: Any) -> None:
        sent.append(args[2])

    event.listen(connection, "before_cursor_execute", record)
    try:
        yield sent
    finally:
        event.remove(connection, "before_cursor_execute", record)
