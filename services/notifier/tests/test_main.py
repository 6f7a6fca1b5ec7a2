from __future__ import annotations

import httpx
import pytest
from sqlalchemy import inspect

from notifier.db import SCHEMA
from notifier.main import create_app
from notifier.settings import NotifierSettings

pytestmark = pytest.mark.integration


async def test_migrations_create_the_plumbing_in_its_own_schema(engine) -> None:  # type: ignore[no-untyped-def]
    async with engine.connect() as conn:
        tables = await conn.run_sync(lambda c: inspect(c).get_table_names(schema=SCHEMA))
    assert {"outbox", "processed_event", "idempotency_key", "api_key", "alembic_version"} <= set(
        tables
    )


async def test_api_is_ready_with_database_and_broker(
    migrated_database_url: str, amqp_url: str
) -> None:
    app = create_app(NotifierSettings(database_url=migrated_database_url, amqp_url=amqp_url))
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
            assert (await client.get("/healthz")).status_code == 200
            ready = await client.get("/readyz")
            assert ready.status_code == 200, ready.text
            assert (await client.get("/api/notifier/openapi.json")).json()["info"]["title"]
