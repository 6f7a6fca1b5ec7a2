"""What ticketing tests share: an API client on a fresh app, people's tokens, a park site
known to ticketing (as imaging's events would have made it), a ticket, the outbox."""

from __future__ import annotations

import secrets
import uuid
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from pydantic import SecretStr
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from guichet_common.identity import mint_token
from guichet_common.testing.client import app_client
from ticketing.main import create_app
from ticketing.park import repository as park
from ticketing.settings import TicketingSettings

BASE_URL = "http://ticketing.test"
TICKETS = "/api/ticketing/tickets"

Json = dict[str, Any]


@pytest.fixture(scope="session")
def service_root() -> Path:
    return Path(__file__).resolve().parents[1]


@pytest.fixture
def settings(migrated_database_url: str) -> TicketingSettings:
    return TicketingSettings(
        database_url=migrated_database_url,
        public_base_url=BASE_URL,
        jwt_secret=SecretStr("ticketing-tests-secret-of-at-least-32-bytes"),
    )


MakeClient = Callable[..., AbstractAsyncContextManager[httpx.AsyncClient]]


@pytest.fixture
def make_client(settings: TicketingSettings) -> MakeClient:
    """An ASGI client on a fresh app; keywords override settings."""

    def factory(**overrides: Any) -> AbstractAsyncContextManager[httpx.AsyncClient]:
        return app_client(create_app(settings.model_copy(update=overrides)), BASE_URL)

    return factory


@pytest.fixture
async def client(make_client: MakeClient) -> AsyncIterator[httpx.AsyncClient]:
    async with make_client() as c:
        yield c


def new_code(prefix: str = "CLG") -> str:
    """A site code no other test uses (the database is shared by the tests of a run)."""
    return f"{prefix}-{secrets.token_hex(3).upper()}"


# Monday to Friday 08:00-12:00 and 13:30-17:30, Wednesday mornings only.
OPENING_HOURS = [
    {
        "weekday": day,
        "ranges": [
            {"start": "08:00:00", "end": "12:00:00"},
            {"start": "13:30:00", "end": "17:30:00"},
        ],
    }
    for day in (0, 1, 3, 4)
] + [{"weekday": 2, "ranges": [{"start": "08:00:00", "end": "12:00:00"}]}]


@dataclass
class Kit:
    """What most ticketing tests need: the API client, tokens, the park, the database."""

    client: httpx.AsyncClient
    engine: AsyncEngine
    settings: TicketingSettings

    def token(
        self,
        *roles: str,
        sub: str = "tech1",
        sites: list[str] | None = None,
        email: str | None = None,
        name: str | None = None,
    ) -> dict[str, str]:
        """A person's headers with `roles` (default: a technician covering every site)."""
        minted = mint_token(
            self.settings.jwt_secret.get_secret_value(),
            subject=sub,
            roles=list(roles or ("technician",)),
            sites=sites,
            email=email,
            name=name,
        )
        return {"Authorization": f"Bearer {minted}"}

    @property
    def technician(self) -> dict[str, str]:
        return self.token("technician", name="Théo Technicien")

    @property
    def supervisor(self) -> dict[str, str]:
        return self.token("supervisor", sub="super1", name="Sophie Superviseure")

    def requester(
        self,
        sub: str = "req1",
        email: str | None = "req1@ac-orleans-tours.fr",
        sites: list[str] | None = None,
    ) -> dict[str, str]:
        return self.token("requester", sub=sub, email=email, sites=sites)

    async def api_key(self, scope: str, sites: list[str] | None = None) -> str:
        """A new API key of ticketing (`ticketing:read`, …), created by an admin."""
        created = await self.client.post(
            "/api/ticketing/api-keys",
            json={"name": f"key ({scope})", "scopes": [scope], "sites": sites or []},
            headers=self.token("admin"),
        )
        assert created.status_code == 201, created.text
        key: str = created.json()["api_key"]
        return key

    async def site(
        self,
        code: str | None = None,
        *,
        name: str = "Collège Jean Zay",
        department: str = "45",
        zone: str = "B",
        opening_hours: list[Json] | None = None,
        address: str | None = None,
    ) -> str:
        """A site ticketing knows (as if imaging's event had been consumed); its code."""
        code = code or new_code()
        async with AsyncSession(self.engine) as session, session.begin():
            await park.keep_site(
                session,
                {
                    "site_id": uuid.uuid4(),
                    "code": code,
                    "version": 1,
                    "name": name,
                    "kind_label": "Collège",
                    "department": department,
                    "zone": zone,
                    "address": address,
                    "opening_hours": opening_hours if opening_hours is not None else OPENING_HOURS,
                    "contacts": [],
                    "active": True,
                },
            )
        return code

    async def host(
        self,
        site_code: str,
        *,
        asset_tag: str | None = None,
        room_code: str | None = "B204",
        hostname: str = "CLGJZ-B204-01",
        model: str = "OptiPlex 7090",
    ) -> str:
        """A host of the park ticketing knows; its asset tag."""
        asset_tag = asset_tag or f"45{secrets.randbelow(10**6):06d}"
        async with AsyncSession(self.engine) as session, session.begin():
            await park.keep_host(
                session,
                {
                    "host_id": uuid.uuid4(),
                    "site_code": site_code,
                    "room_code": room_code,
                    "asset_tag": asset_tag,
                    "hostname": hostname,
                    "make": "Dell",
                    "model": model,
                    "kind_label": "Poste fixe",
                    "status": "in_service",
                    "version": 1,
                },
            )
        return asset_tag

    async def create_ticket(
        self, site_code: str, headers: dict[str, str] | None = None, **fields: Any
    ) -> Json:
        """A ticket created through the API (a technician by default); its JSON."""
        body: Json = {
            "title": "Le poste de la salle B204 ne démarre plus",
            "description": "Écran noir au démarrage, le voyant clignote orange.",
            "type": "incident",
            "category": "hardware",
            "urgency": 3,
            "impact": 2,
            "site_code": site_code,
            "channel": "phone",
            "requester": {
                "name": "Mme Claire Martin",
                "email": "claire.martin@ac-orleans-tours.fr",
                "phone": "02 38 00 00 00",
            },
            **fields,
        }
        response = await self.client.post(TICKETS, json=body, headers=headers or self.technician)
        assert response.status_code == 201, response.text
        created: Json = response.json()
        return created

    async def etag(self, path: str, headers: dict[str, str] | None = None) -> str:
        response = await self.client.get(path, headers=headers or self.supervisor)
        assert response.status_code == 200, response.text
        return response.headers["ETag"]

    async def events(self, subject: str) -> list[Json]:
        """The envelopes ticketing wrote to its outbox about one subject, oldest first."""
        async with self.engine.connect() as conn:
            rows = await conn.execute(
                text("SELECT envelope FROM ticketing.outbox WHERE subject = :s ORDER BY seq"),
                {"s": subject},
            )
            return [row[0] for row in rows]

    async def event_types(self, subject: str) -> list[str]:
        return [e["type"] for e in await self.events(subject)]

    async def scalar(self, statement: str, **params: Any) -> Any:
        async with self.engine.connect() as conn:
            return await conn.scalar(text(statement), params)


@pytest.fixture
def kit(client: httpx.AsyncClient, engine: AsyncEngine, settings: TicketingSettings) -> Kit:
    return Kit(client, engine, settings)


def fields_named(response: httpx.Response) -> list[str]:
    """The fields a 422 names."""
    return [error["field"] for error in response.json()["errors"]]
