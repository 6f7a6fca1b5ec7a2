"""How a service is assembled: its API app, its worker (relay, consumers, timers), its health.

A service is a `ServiceDefinition[S, R]`: `S` its settings class, `R` what its `lifespan` hook
opens once per process and closes at the end (HTTP clients, transports, in-memory limiters;
`None` for a service with none). API dependencies reach both through `settings_dependency`
and `state_dependency`; timers and background tasks get them in their `WorkerContext`.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import signal
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator, Mapping, Sequence
from contextlib import AbstractAsyncContextManager, AsyncExitStack, asynccontextmanager
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any, Generic, TypeVar

import uvicorn
from fastapi import APIRouter, FastAPI, Request, Response
from sqlalchemy import MetaData
from sqlalchemy.ext.asyncio import AsyncEngine

from guichet_common.apikeys.router import api_keys_router
from guichet_common.auth import JwtVerifier
from guichet_common.db import SessionFactory, make_engine, make_session_factory, ping
from guichet_common.docs import install_docs
from guichet_common.events import EventRegistry
from guichet_common.http import CorrelationIdMiddleware, health_router, install_problem_handlers
from guichet_common.inbox import InboxHandler, Subscription
from guichet_common.logging import configure_logging, get_logger
from guichet_common.messaging.bus import MessageBus, QueueSpec, RetryPolicy
from guichet_common.messaging.rabbitmq import RabbitBus
from guichet_common.outbox import Outbox, OutboxRelay
from guichet_common.settings import CommonSettings
from guichet_common.tables import PlumbingTables

log = get_logger(__name__)

S = TypeVar("S", bound=CommonSettings)
R = TypeVar("R")
T = TypeVar("T")


@dataclass(frozen=True)
class WorkerContext(Generic[S, R]):
    """What a timer or background task of the worker gets."""

    settings: S
    session_factory: SessionFactory
    state: R


@dataclass(frozen=True)
class Timer(Generic[S, R]):
    """A periodic job of the worker. With several workers it must be safe to run concurrently
    (claim its rows with FOR UPDATE SKIP LOCKED)."""

    name: str
    every: timedelta
    run: Callable[[WorkerContext[S, R]], Awaitable[None]]


@dataclass(frozen=True)
class BackgroundTask(Generic[S, R]):
    """A long-running loop of the worker (e.g. a delivery sender); cancelled on stop."""

    name: str
    run: Callable[[WorkerContext[S, R]], Awaitable[None]]


@asynccontextmanager
async def no_state(_settings: CommonSettings) -> AsyncIterator[None]:
    """The lifespan of a service that holds nothing of its own."""
    yield None


ExceptionHandler = Callable[[Request, Exception], Awaitable[Response] | Response]


@dataclass
class ServiceDefinition(Generic[S, R]):
    name: str
    title: str
    description: str
    settings: S
    metadata: MetaData
    tables: PlumbingTables
    outbox: Outbox
    published: EventRegistry
    lifespan: Callable[[S], AbstractAsyncContextManager[R]]
    routers: Sequence[APIRouter] = ()  # mounted under /api/<name>
    page_routers: Sequence[APIRouter] = ()  # server-rendered pages under public_prefixes
    subscriptions: Sequence[Subscription] = ()
    timers: Sequence[Timer[S, R]] = ()
    background: Sequence[BackgroundTask[S, R]] = ()
    version: str = "0.1.0"
    public_prefixes: tuple[str, ...] = ()  # server-rendered pages outside /api (e.g. /garage)
    exception_handlers: Mapping[type[Exception], ExceptionHandler] = field(default_factory=dict)

    @property
    def api_prefix(self) -> str:
        return f"/api/{self.name}"

    def queue_specs(self) -> list[QueueSpec]:
        """The queues this service consumes, as its workers declare them."""
        return [s.queue_spec(self.name, self.settings.prefetch) for s in self.subscriptions]


@dataclass
class Resources:
    """Connections a service process holds; shared by API and worker in the embedded runner."""

    engine: AsyncEngine
    session_factory: SessionFactory
    bus: MessageBus | None = None
    owned: list[Callable[[], Awaitable[None]]] = field(default_factory=list)

    @classmethod
    def open(cls, definition: ServiceDefinition[Any, Any], *, pool_size: int = 10) -> Resources:
        engine = make_engine(
            definition.settings.require_database_url(),
            pool_size=pool_size,
            application_name=f"guichet-{definition.name}",
        )
        return cls(engine, make_session_factory(engine), owned=[engine.dispose])

    async def close(self) -> None:
        for closer in reversed(self.owned):
            with contextlib.suppress(Exception):
                await closer()


def settings_dependency(kind: type[S]) -> Callable[[Request], Awaitable[S]]:
    """A dependency giving the service's settings, typed."""

    async def dependency(request: Request) -> S:  # async: a plain def runs in a thread
        settings = request.app.state.definition.settings
        if not isinstance(settings, kind):
            raise TypeError(f"the app's settings are not {kind.__name__}")
        return settings

    return dependency


def state_dependency(kind: type[T]) -> Callable[[Request], Awaitable[T]]:
    """A dependency giving what the service's lifespan hook opened, typed."""

    async def dependency(request: Request) -> T:
        state = request.app.state.service_state
        if not isinstance(state, kind):
            raise TypeError(f"the app's state is not {kind.__name__}")
        return state

    return dependency


def create_service_app(
    definition: ServiceDefinition[Any, Any], resources: Resources | None = None
) -> FastAPI:
    """The service's FastAPI app. Touches nothing external until its lifespan starts."""
    settings = definition.settings

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        own = resources is None
        res = resources or Resources.open(definition)
        if own and settings.amqp_url:
            bus = RabbitBus(settings.amqp_url, name=f"{definition.name}-api")
            res.bus, res.owned = bus, [*res.owned, bus.close]
            with contextlib.suppress(Exception):  # readiness reports it; outbox holds events
                await bus.connect()
        app.state.resources = res
        app.state.engine = res.engine
        app.state.session_factory = res.session_factory
        try:
            async with definition.lifespan(settings) as state:
                app.state.service_state = state
                freeze_startup_heap()
                yield
        finally:
            if own:
                await res.close()

    app = FastAPI(
        title=definition.title,
        description=definition.description,
        version=definition.version,
        openapi_url=f"{definition.api_prefix}/openapi.json",
        docs_url=None,  # install_docs: the same page, its assets served from here
        redoc_url=None,
        lifespan=lifespan,
        generate_unique_id_function=lambda route: route.name,
    )
    app.state.jwt_verifier = JwtVerifier.from_settings(settings)
    definition.outbox.max_envelope_bytes = settings.outbox_max_envelope_bytes
    app.state.definition = definition
    install_problem_handlers(app)
    install_docs(app, definition.api_prefix)

    async def database_ready() -> None:
        await ping(app.state.engine)

    async def broker_ready() -> None:
        bus: MessageBus | None = app.state.resources.bus
        if bus is None or not await bus.ready():
            raise ConnectionError("message bus not connected")

    # Routes are matched in order: the service's own first, as they take the traffic.
    for router in definition.routers:
        app.include_router(router, prefix=definition.api_prefix)
    app.include_router(
        api_keys_router(definition.name, definition.tables), prefix=definition.api_prefix
    )
    app.include_router(health_router({"database": database_ready, "broker": broker_ready}))
    for router in definition.page_routers:
        app.include_router(router, include_in_schema=False)
    for exception, handler in definition.exception_handlers.items():
        app.add_exception_handler(exception, handler)
    app.add_middleware(CorrelationIdMiddleware, service=definition.name)
    return app


def retry_policy(settings: CommonSettings) -> RetryPolicy:
    """Retries after `retry_delays`; outages every second delay (10 s by default)."""
    delays = settings.retry_delays
    return RetryPolicy(
        delays=delays,
        outage_delay=delays[min(1, len(delays) - 1)] if delays else 10.0,
        outage_limit=settings.outage_retry_limit,
    )


class ServiceWorker(Generic[S, R]):
    """Outbox relay + consumers + timers of one service, on a given bus."""

    def __init__(
        self, definition: ServiceDefinition[S, R], resources: Resources, bus: MessageBus
    ) -> None:
        self.definition = definition
        self.resources = resources
        self.bus = bus
        settings = definition.settings
        self.relay = OutboxRelay(
            resources.engine,
            definition.tables,
            bus,
            sweep_seconds=settings.outbox_sweep_seconds,
            retention=timedelta(days=settings.outbox_retention_days),
            refusal_delays=settings.outbox_refusal_delays,
        )
        definition.outbox.max_envelope_bytes = settings.outbox_max_envelope_bytes
        self._timer_tasks: list[asyncio.Task[None]] = []
        self._state = AsyncExitStack()

    async def start(self) -> None:
        await self.start_consuming()
        await self.start_producing()

    async def start_consuming(self) -> None:
        """Declare this service's queues and handle them. Several services in one process
        all do this before any starts producing, so no first event goes unrouted."""
        definition = self.definition
        for subscription, spec in zip(
            definition.subscriptions, definition.queue_specs(), strict=True
        ):
            handler = InboxHandler(
                spec.name, subscription, self.resources.session_factory, definition.tables
            )
            await self.bus.consume(spec, handler, retry_policy(definition.settings))

    async def start_producing(self) -> None:
        settings = self.definition.settings
        state = await self._state.enter_async_context(self.definition.lifespan(settings))
        await self.relay.start()
        context = WorkerContext(settings, self.resources.session_factory, state)
        for timer in self.definition.timers:
            self._timer_tasks.append(asyncio.create_task(self._run_timer(timer, context)))
        for task in self.definition.background:
            self._timer_tasks.append(asyncio.ensure_future(task.run(context)))
        log.info(
            "worker started",
            service=self.definition.name,
            consumers=[s.group for s in self.definition.subscriptions],
        )

    async def _run_timer(self, timer: Timer[S, R], context: WorkerContext[S, R]) -> None:
        while True:
            await asyncio.sleep(timer.every.total_seconds())
            try:
                await timer.run(context)
            except Exception as exc:
                log.warning("timer failed", timer=timer.name, error=repr(exc))

    async def stop(self) -> None:
        for task in self._timer_tasks:
            task.cancel()
        await asyncio.gather(*self._timer_tasks, return_exceptions=True)
        await self.relay.stop()
        await self._state.aclose()


class _HealthServer(uvicorn.Server):
    """uvicorn without its own signal handling: the worker decides how to stop."""

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield


_heap_frozen = False


def freeze_startup_heap() -> None:
    """Keep what startup built (modules, models, routes: most of the heap) out of the
    garbage collector's full passes, which otherwise walk it all every so often under load:
    a pause of tens of milliseconds at the p99 of a busy API. Once per process: frozen
    objects are still freed when unreferenced, but a cycle among them never is."""
    global _heap_frozen
    if not _heap_frozen:
        _heap_frozen = True
        gc.collect()
        gc.freeze()


def run_worker(definition: ServiceDefinition[Any, Any]) -> None:
    """Entry point of `python -m <service>.worker`: RabbitMQ, health on its own port."""
    settings = definition.settings
    configure_logging(settings.log_level, json=settings.log_json)
    if not settings.amqp_url:
        raise SystemExit("the worker needs GUICHET_AMQP_URL (the embedded default is `guichet up`)")
    asyncio.run(_worker_main(definition, settings.amqp_url))


async def _worker_main(definition: ServiceDefinition[Any, Any], amqp_url: str) -> None:
    resources = Resources.open(definition)
    bus = RabbitBus(amqp_url, name=f"{definition.name}-worker")
    resources.bus = bus
    await bus.connect()
    worker = ServiceWorker(definition, resources, bus)
    await worker.start()
    freeze_startup_heap()

    async def database_ready() -> None:
        await ping(resources.engine)

    async def broker_ready() -> None:
        if not await bus.ready():
            raise ConnectionError("broker not connected")

    health = FastAPI(openapi_url=None, docs_url=None, redoc_url=None)
    health.include_router(health_router({"database": database_ready, "broker": broker_ready}))
    server = _HealthServer(
        uvicorn.Config(
            health,
            host="0.0.0.0",
            port=definition.settings.worker_health_port,
            log_level="warning",
            lifespan="off",
        )
    )
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    serving = asyncio.create_task(server.serve())
    await stop.wait()
    log.info("worker stopping", service=definition.name)
    await bus.stop_consuming()  # finish messages in hand, take no more
    await worker.stop()
    server.should_exit = True
    await serving
    await bus.close()
    await resources.close()
