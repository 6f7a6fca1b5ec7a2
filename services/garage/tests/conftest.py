from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from pydantic import SecretStr
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from garage.main import create_app
from garage.requests.schemas import SUBMISSION_EXAMPLE
from garage.settings import GarageSettings
from guichet_common.identity import mint_token
from guichet_common.testing.client import app_client
from guichet_common.testing.html import check_strict_html

BASE_URL = "http://garage.test"
# The garage's identity, as an agent comptable would set it (a valid SIRET).
SELLER: dict[str, Any] = {
    "seller_name": "Lycée des métiers Jean Moulin — garage pédagogique",
    "seller_address": "12 rue des Ateliers, 45000 Orléans",
    "seller_siret": "194 500 012 00019",
    "seller_vat_number": "FR 40 194500012",
}


@pytest.fixture(scope="session")
def service_root() -> Path:
    return Path(__file__).resolve().parents[1]


@pytest.fixture
def settings(migrated_database_url: str) -> GarageSettings:
    return GarageSettings(
        database_url=migrated_database_url,
        rate_limit="10000/minute",
        public_base_url=BASE_URL,
        jwt_secret=SecretStr("garage-tests-secret-of-at-least-32-bytes"),
        **SELLER,
    )


async def _check_html_page(response: httpx.Response) -> None:
    if response.headers.get("content-type", "").startswith("text/html"):
        await response.aread()
        check_strict_html(response.text)


@pytest.fixture
def make_client(
    settings: GarageSettings,
) -> Callable[..., AbstractAsyncContextManager[httpx.AsyncClient]]:
    """An ASGI client on a fresh app (its own rate limiter); keywords override settings.
    Every HTML page it receives is parsed strictly: a malformed page fails the test."""

    def factory(**overrides: Any) -> AbstractAsyncContextManager[httpx.AsyncClient]:
        return app_client(
            create_app(settings.model_copy(update=overrides)),
            BASE_URL,
            client_address=("203.0.113.7", 1234),
            event_hooks={"response": [_check_html_page]},
        )

    return factory


@pytest.fixture
async def client(
    make_client: Callable[..., AbstractAsyncContextManager[httpx.AsyncClient]],
) -> AsyncIterator[httpx.AsyncClient]:
    async with make_client() as c:
        yield c


@pytest.fixture
def teacher(settings: GarageSettings) -> dict[str, str]:
    token = mint_token(
        settings.jwt_secret.get_secret_value(), subject="prof1", roles=["garage_teacher"]
    )
    return {"Authorization": f"Bearer {token}"}


def submission(**overrides: Any) -> dict[str, Any]:
    return {**SUBMISSION_EXAMPLE, **overrides}


@dataclass
class Kit:
    """What most garage tests need: the API client, a teacher's headers, the database."""

    client: httpx.AsyncClient
    teacher: dict[str, str]
    engine: AsyncEngine
    settings: GarageSettings

    submission = staticmethod(submission)

    async def submit(self, **overrides: Any) -> dict[str, Any]:
        response = await self.client.post("/api/garage/requests", json=submission(**overrides))
        assert response.status_code == 201, response.text
        body: dict[str, Any] = response.json()
        return body

    async def etag(self, path: str) -> str:
        """The ETag a teacher reads at `path` (a request or a quote), for If-Match."""
        response = await self.client.get(path, headers=self.teacher)
        assert response.status_code == 200, response.text
        return response.headers["ETag"]

    async def act(self, number: str, action: str, **extra: Any) -> httpx.Response:
        """A transition, with the request's current ETag."""
        etag = await self.etag(f"/api/garage/requests/{number}")
        return await self.client.post(
            f"/api/garage/requests/{number}/transitions",
            json={"action": action, **extra},
            headers={**self.teacher, "If-Match": etag},
        )

    async def quotes(self, number: str) -> list[dict[str, Any]]:
        response = await self.client.get(
            f"/api/garage/requests/{number}/quotes", headers=self.teacher
        )
        assert response.status_code == 200, response.text
        body: list[dict[str, Any]] = response.json()
        return body

    async def issue(self, quote_id: str) -> dict[str, Any]:
        """Issue a quote, with its current ETag."""
        etag = await self.etag(f"/api/garage/quotes/{quote_id}")
        response = await self.client.post(
            f"/api/garage/quotes/{quote_id}/issue", headers={**self.teacher, "If-Match": etag}
        )
        assert response.status_code == 200, response.text
        body: dict[str, Any] = response.json()
        return body

    async def issue_first_quote(self, number: str) -> dict[str, Any]:
        return await self.issue((await self.quotes(number))[0]["id"])

    async def decide(
        self, decision_url: str, decision: str, name: str = "Claire Martin"
    ) -> httpx.Response:
        return await self.client.post(
            decision_url.removeprefix(BASE_URL),
            data={"decision": decision, "name": name, "agreement": "yes"},
        )

    async def status(self, number: str) -> str:
        response = await self.client.get(f"/api/garage/requests/{number}", headers=self.teacher)
        assert response.status_code == 200, response.text
        status: str = response.json()["status"]
        return status

    async def events(self, number: str) -> list[dict[str, Any]]:
        """The envelopes garage wrote to its outbox about one request, oldest first."""
        async with self.engine.connect() as conn:
            rows = await conn.execute(
                text("SELECT envelope FROM garage.outbox WHERE subject = :s ORDER BY seq"),
                {"s": number},
            )
            return [row[0] for row in rows]

    async def event_types(self, number: str) -> list[str]:
        return [e["type"] for e in await self.events(number)]

    async def sql(self, statement: str, **params: Any) -> None:
        async with self.engine.begin() as conn:
            await conn.execute(text(statement), params)

    async def scalar(self, statement: str, **params: Any) -> Any:
        async with self.engine.connect() as conn:
            return await conn.scalar(text(statement), params)


@pytest.fixture
def kit(
    client: httpx.AsyncClient,
    teacher: dict[str, str],
    engine: AsyncEngine,
    settings: GarageSettings,
) -> Kit:
    return Kit(client, teacher, engine, settings)
