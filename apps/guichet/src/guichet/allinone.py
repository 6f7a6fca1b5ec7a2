"""All four services in one process on one port: the embedded default and small sites."""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import AsyncIterator, Sequence
from contextlib import AsyncExitStack, asynccontextmanager
from datetime import datetime
from pathlib import Path
from typing import Any

from alembic import command
from fastapi import FastAPI
from fastapi.responses import HTMLResponse
from starlette.types import ASGIApp, Receive, Scope, Send

from guichet.ops import ServiceOutbox, ops_router
from guichet.services import SERVICES, ServiceEntry
from guichet_common.auth import JwtVerifier
from guichet_common.db import ping, unit_of_work
from guichet_common.events import utcnow
from guichet_common.http import CorrelationIdMiddleware, health_router, install_problem_handlers
from guichet_common.logging import get_logger
from guichet_common.messaging.bus import MessageBus
from guichet_common.messaging.inprocess import InProcessBus, PendingMessage
from guichet_common.messaging.rabbitmq import RabbitBus
from guichet_common.outbox import republish_since
from guichet_common.runtime import Resources, ServiceDefinition, ServiceWorker

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


class InProcessBusState:
    """Keeps the in-process bus whole across restarts, in `<data dir>/bus/`.

    A clean stop writes what the bus still owed (`pending.jsonl`) and marks the run clean.
    A start after a crash finds the run unclean: every outbox row relayed since that run
    began goes out again, and consumers' inboxes drop what they had already handled.
    """

    def __init__(self, data_dir: Path) -> None:
        self.directory = data_dir / "bus"
        self.state = self.directory / "state.json"
        self.pending = self.directory / "pending.jsonl"

    async def begin(
        self, resources: dict[str, Resources], definitions: dict[str, ServiceDefinition[Any, Any]]
    ) -> list[PendingMessage]:
        self.directory.mkdir(parents=True, exist_ok=True)
        previous = json.loads(self.state.read_text()) if self.state.exists() else None
        if previous is not None and not previous["clean"]:
            since = datetime.fromisoformat(previous["started_at"])
            for name, definition in definitions.items():
                async with unit_of_work(resources[name].session_factory) as session:
                    count = await republish_since(session, definition.tables, since)
                log.warning(
                    "recovering after a crash: events sent again",
                    service=name,
                    events=count,
                    since=since.isoformat(),
                )
        pending = []
        if self.pending.exists():
            pending = [
                PendingMessage.from_json(line)
                for line in self.pending.read_text().splitlines()
                if line
            ]
        self._write(self.state, json.dumps({"clean": False, "started_at": utcnow().isoformat()}))
        return pending

    def end(self, pending: list[PendingMessage]) -> None:
        self._write(self.pending, "".join(m.to_json() + "\n" for m in pending))
        self._write(self.state, json.dumps({"clean": True, "stopped_at": utcnow().isoformat()}))
        log.info("in-process bus saved", pending=len(pending))

    @staticmethod
    def _write(path: Path, text: str) -> None:
        temporary = path.with_suffix(".tmp")
        temporary.write_text(text)
        temporary.replace(path)  # atomic: a crash leaves the old file or the new one


def build_app(amqp_url: str | None, data_dir: Path) -> ASGIApp:
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
            bus_state = InProcessBusState(data_dir)
            pending = await bus_state.begin(resources, definitions)
        async with AsyncExitStack() as stack:
            for name, app in apps.items():
                resources[name].bus = bus
                await stack.enter_async_context(app.router.lifespan_context(app))
            workers = [ServiceWorker(d, resources[n], bus) for n, d in definitions.items()]
            for worker in workers:
                await worker.start_consuming()
            for worker in workers:
                await worker.start_producing()
            if isinstance(bus, InProcessBus):
                bus.restore(pending)
            log.info("guichet is up", services=list(apps), bus=type(bus).__name__)
            try:
                yield
            finally:
                # Stop producing first, then let the bus finish what it holds.
                for worker in workers:
                    await worker.stop()
                if isinstance(bus, InProcessBus):
                    bus_state.end(await bus.shutdown())
                else:
                    await bus.close()
                for res in resources.values():
                    with contextlib.suppress(Exception):
                        await res.close()

    root = FastAPI(
        title="Guichet", openapi_url=None, docs_url=None, redoc_url=None, lifespan=lifespan
    )
    install_problem_handlers(root)
    settings = next(iter(definitions.values())).settings
    root.state.jwt_verifier = JwtVerifier.from_settings(settings)
    consumer_queues = [spec.name for d in definitions.values() for spec in d.queue_specs()]

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

    outboxes = {
        name: ServiceOutbox(resources[name].session_factory, definition.tables)
        for name, definition in definitions.items()
    }
    root.include_router(ops_router(shared_bus, amqp_url, consumer_queues, outboxes))
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
