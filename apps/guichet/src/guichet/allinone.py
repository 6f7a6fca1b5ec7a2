"""All four services in one process on one port: the embedded default and small sites."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Sequence
from contextlib import AsyncExitStack, asynccontextmanager

from alembic import command
from fastapi import FastAPI
from fastapi.responses import HTMLResponse
from starlette.types import ASGIApp, Receive, Scope, Send

from guichet.ops import ops_router
from guichet.services import SERVICES, ServiceEntry
from guichet_common.auth import JwtVerifier
from guichet_common.db import ping
from guichet_common.http import CorrelationIdMiddleware, health_router, install_problem_handlers
from guichet_common.logging import get_logger
from guichet_common.messaging import InProcessBus, MessageBus, RabbitBus
from guichet_common.runtime import Resources, ServiceWorker

log = get_logger(__name__)


async def migrate(database_url: str, services: Sequence[ServiceEntry] = SERVICES) -> None:
    for entry in services:
        # alembic's env.py runs its own event loop: keep it off ours.
        await asyncio.to_thread(command.upgrade, entry.alembic_config(database_url), "head")


class PrefixDispatcher:
    """Routes `/api/<svc>` (and a service's public prefixes) to that service's own app,
    without stripping the prefix, so each app serves exactly the paths it serves alone."""

    def __init__(self, routes: list[tuple[str, ASGIApp]], default: ASGIApp) -> None:
        self.routes = routes
        self.default = default

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] in ("http", "websocket"):
            path: str = scope["path"]
            for prefix, app in self.routes:
                if path == prefix or path.startswith(prefix + "/"):
                    await app(scope, receive, send)
                    return
        await self.default(scope, receive, send)


def build_app(amqp_url: str | None) -> ASGIApp:
    """Apps, shared resources and workers; the root app's lifespan starts and stops them all."""
    definitions = {entry.name: entry.definition() for entry in SERVICES}
    resources = {
        name: Resources.open(definition, pool_size=5) for name, definition in definitions.items()
    }
    apps = {entry.name: entry.create_app(resources[entry.name]) for entry in SERVICES}

    @asynccontextmanager
    async def lifespan(_root: FastAPI) -> AsyncIterator[None]:
        bus: MessageBus
        if amqp_url:
            rabbit = RabbitBus(amqp_url, name="guichet-up")
            await rabbit.connect()
            bus = rabbit
        else:
            bus = InProcessBus()
        workers = []
        async with AsyncExitStack() as stack:
            for name, app in apps.items():
                resources[name].bus = bus
                await stack.enter_async_context(app.router.lifespan_context(app))
            for name, definition in definitions.items():
                worker = ServiceWorker(definition, resources[name], bus)
                await worker.start()
                workers.append(worker)
            log.info("guichet is up", services=list(apps), bus=type(bus).__name__)
            try:
                yield
            finally:
                # Stop producing first, then let the bus finish what it holds.
                for worker in workers:
                    await worker.stop()
                await bus.close()
                for res in resources.values():
                    with contextlib.suppress(Exception):
                        await res.close()

    root = FastAPI(
        title="Guichet", openapi_url=None, docs_url=None, redoc_url=None, lifespan=lifespan
    )
    install_problem_handlers(root)
    settings = next(iter(definitions.values())).settings
    root.state.jwt_verifier = JwtVerifier(
        secret=settings.jwt_secret.get_secret_value(),
        jwks_url=settings.jwt_jwks_url,
        issuer=settings.jwt_issuer,
    )
    consumer_queues = [
        f"{name}.{subscription.group}"
        for name, definition in definitions.items()
        for subscription in definition.subscriptions
    ]

    async def all_databases() -> None:
        for res in resources.values():
            await ping(res.engine)

    def shared_bus() -> MessageBus:
        bus = next(iter(resources.values())).bus
        if bus is None:
            raise ConnectionError("message bus not started")
        return bus

    async def bus_ready() -> None:
        if not await shared_bus().ready():
            raise ConnectionError("message bus not ready")

    root.include_router(ops_router(shared_bus, amqp_url, consumer_queues))
    root.include_router(health_router({"database": all_databases, "broker": bus_ready}))

    @root.get("/", include_in_schema=False)
    async def index() -> HTMLResponse:
        links = "".join(
            f'<li><a href="/api/{n}/docs">{d.title}</a> — {d.description}</li>'
            for n, d in definitions.items()
        )
        return HTMLResponse(
            "<!doctype html><html lang='fr'><meta charset='utf-8'><title>Guichet</title>"
            f"<h1>Guichet</h1><p>Services :</p><ul>{links}</ul></html>"
        )

    routes: list[tuple[str, ASGIApp]] = []
    for name, app in apps.items():
        routes.append((definitions[name].api_prefix, app))
        routes.extend((prefix, app) for prefix in definitions[name].public_prefixes)
    root.add_middleware(CorrelationIdMiddleware, service="guichet")
    return PrefixDispatcher(routes, root)
