"""An HTTP client on a service's app in the test process, its lifespan running: what each
service's tests call their API with."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import httpx
from fastapi import FastAPI

# A documentation address (RFC 5737): the caller's IP that rate limits and logs see.
TEST_CLIENT_ADDRESS = ("203.0.113.9", 1234)


@asynccontextmanager
async def app_client(
    app: FastAPI,
    base_url: str,
    *,
    client_address: tuple[str, int] = TEST_CLIENT_ADDRESS,
    **options: Any,
) -> AsyncIterator[httpx.AsyncClient]:
    """`app` started (its lifespan) and a client on it; `options` go to the client
    (`event_hooks`, …)."""
    transport = httpx.ASGITransport(app=app, client=client_address)
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(transport=transport, base_url=base_url, **options) as client,
    ):
        yield client
