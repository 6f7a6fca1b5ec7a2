from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import httpx
import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session
from fastapi import FastAPI
from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import AsyncEngine

from guichet_common.db import SessionFactory, make_session_factory, unit_of_work
from guichet_common.events import Envelope as EventEnvelope
from guichet_common.events import new_event_id
from guichet_common.identity import mint_token
from guichet_common.runtime import Resources
from guichet_common.testing.client import app_client
from guichet_common.testing.server import free_port
from notifier.deliveries.models import Channel, Delivery, DeliveryAttempt
from notifier.deps import NotifierState
from notifier.main import create_app
from notifier.rules import service as rules
from notifier.sending import handlers
from notifier.sending.service import Sender
from notifier.settings import NotifierSettings

TEACHERS = ("prof.meca@lycee.example", "chef.atelier@lycee.example")

# A garage event type with no email rule: only webhook deliveries come of it.
STATUS_CHANGED = "garage.request.status_changed.v1"
STATUS_CHANGED_DATA: dict[str, Any] = {
    "request_number": "DEM-2026-0021",
    "client_email": "camille.martin@example.org",
    "client_name": "Camille Martin",
    "from_status": "triaged",
    "to_status": "quoted",
    "status_label": "en attente — devis envoyé",
    "tracking_url": "http://127.0.0.1:8000/garage/suivi/exemple-jeton",
}


@pytest.fixture(scope="session")
def service_root() -> Path:
    return Path(__file__).resolve().parents[1]


class FakeClock:
    """The sender's notion of now, moved by the test instead of sleeping."""

    def __init__(self) -> None:
        # A little ahead of the wall clock, so rows the test creates "now" are already due.
        self.now = datetime.now(UTC) + timedelta(seconds=5)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)


# --- SMTP ------------------------------------------------------------------------------


class RecordingHandler:
    """An aiosmtpd handler that keeps every message and can refuse with a scripted reply."""

    def __init__(self) -> None:
        self.messages: list[EmailMessage] = []
        self.reply_to_data: str | None = None  # e.g. "451 4.3.0 try later"
        self.delay = 0.0  # a slow server

    async def handle_DATA(self, _server: SMTP, _session: Session, envelope: Envelope) -> str:
        await asyncio.sleep(self.delay)
        if self.reply_to_data is not None:
            return self.reply_to_data
        content = envelope.content
        assert isinstance(content, bytes)
        parsed = message_from_bytes(content, policy=policy.default)
        assert isinstance(parsed, EmailMessage)
        self.messages.append(parsed)
        return "250 2.0.0 Ok: queued"


@dataclass
class SmtpServer:
    handler: RecordingHandler
    port: int

    @property
    def url(self) -> str:
        return f"smtp://127.0.0.1:{self.port}"


@pytest.fixture
def smtp_server() -> Iterator[SmtpServer]:
    handler = RecordingHandler()
    port = free_port()
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield SmtpServer(handler, port)
    finally:
        controller.stop()


# --- HTTP receiver ---------------------------------------------------------------------


@dataclass
class ReceivedRequest:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes


@dataclass
class HttpReceiver:
    """A real HTTP/1.1 server on a loopback port: records requests, answers from a script
    (status, headers, body), then 200 once the script is used up."""

    port: int = 0
    requests: list[ReceivedRequest] = field(default_factory=list)
    script: list[tuple[int, dict[str, str], bytes]] = field(default_factory=list)
    before_answer: Callable[[], Awaitable[None]] | None = None  # e.g. look at the database
    server: asyncio.Server | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/hooks"

    def url_for(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    async def start(self) -> None:
        self.server = await asyncio.start_server(self._serve, "127.0.0.1", 0)
        self.port = self.server.sockets[0].getsockname()[1]

    async def close(self) -> None:
        if self.server is not None:
            self.server.close()
            await self.server.wait_closed()

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        with contextlib.suppress(ConnectionError, asyncio.IncompleteReadError):
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                lines = head.decode("latin-1").split("\r\n")
                method, path, _ = lines[0].split(" ", 2)
                headers = {}
                for line in lines[1:]:
                    if ":" in line:
                        name, _, value = line.partition(":")
                        headers[name.strip().lower()] = value.strip()
                body = await reader.readexactly(int(headers.get("content-length", "0")))
                self.requests.append(ReceivedRequest(method, path, headers, body))
                if self.before_answer is not None:
                    await self.before_answer()
                status, extra, payload = self.script.pop(0) if self.script else (200, {}, b"ok")
                response = [f"HTTP/1.1 {status} X", f"content-length: {len(payload)}"]
                response += [f"{k}: {v}" for k, v in extra.items()]
                writer.write(("\r\n".join(response) + "\r\n\r\n").encode() + payload)
                await writer.drain()
        writer.close()


@pytest.fixture
async def receiver() -> AsyncIterator[HttpReceiver]:
    server = HttpReceiver()
    await server.start()
    try:
        yield server
    finally:
        await server.close()


# --- database, settings, sender, API ----------------------------------------------------


@pytest.fixture
async def session_factory(engine: AsyncEngine) -> SessionFactory:
    """A factory on the migrated database, emptied first: each test sees only its rows."""
    async with engine.begin() as conn:
        await conn.execute(
            text(
                "TRUNCATE notifier.delivery_attempt, notifier.delivery, notifier.event, "
                "notifier.webhook_endpoint, notifier.processed_event, notifier.outbox"
            )
        )
    return make_session_factory(engine)


@pytest.fixture
def settings(migrated_database_url: str, tmp_path: Path) -> NotifierSettings:
    return NotifierSettings(
        database_url=migrated_database_url,
        data_dir=tmp_path,
        mail_from="Garage pédagogique <garage@lycee.example>",
        garage_teachers=TEACHERS,
        webhooks_allow_private=True,
        jwt_secret="notifier-tests-secret-of-at-least-32-bytes",
    )


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


def no_jitter(delay: float) -> float:
    return delay


class SenderUnderTest:
    """A sender with its own state (transport, HTTP client), driven as the worker drives
    it: `run_once` is one cycle of the boundary (claim and commit, send, record)."""

    def __init__(
        self,
        factory: SessionFactory,
        settings: NotifierSettings,
        state: NotifierState,
        clock: FakeClock,
    ) -> None:
        self.factory = factory
        self.settings = settings
        self.sender = Sender(
            settings,
            state.email_transport,
            state.http,
            state.webhook_http,
            clock=clock,
            jitter=no_jitter,
        )

    async def run_once(self) -> int:
        return await handlers.send_once(self.factory, self.settings, self.sender)

    async def drain(self) -> int:
        return await handlers.drain(self.factory, self.settings, self.sender)


MakeSender = Callable[..., SenderUnderTest]


@pytest.fixture
async def sender_factory(
    session_factory: SessionFactory, settings: NotifierSettings, clock: FakeClock
) -> AsyncIterator[MakeSender]:
    """`sender_factory(smtp_url, **settings)`: no SMTP URL writes `.eml` files."""
    states: list[NotifierState] = []

    def make(smtp_url: str | None = None, **overrides: Any) -> SenderUnderTest:
        effective = settings.model_copy(update={"smtp_url": smtp_url, **overrides})
        state = NotifierState.open(effective)
        states.append(state)
        return SenderUnderTest(session_factory, effective, state, clock)

    yield make
    for state in states:
        await state.close()


def envelope(
    event_type: str, data: dict[str, Any], subject: str | None = "DEM-2026-0021"
) -> EventEnvelope:
    return EventEnvelope(
        id=new_event_id(),
        source="/services/garage",
        type=event_type,
        subject=subject,
        time=datetime.now(UTC),
        data=data,
    )


async def ingest(factory: SessionFactory, settings: NotifierSettings, event: EventEnvelope) -> None:
    """An event through the notifier's rules, as its consumer takes it."""
    async with unit_of_work(factory) as session:
        await rules.ingest_event(session, event, settings, event.time)


async def stored_deliveries(
    factory: SessionFactory, channel: Channel | None = None
) -> list[Delivery]:
    """The deliveries in the database, oldest first."""
    statement = select(Delivery).order_by(Delivery.created_at, Delivery.id)
    if channel is not None:
        statement = statement.where(Delivery.channel == channel)
    async with factory() as session:
        return list((await session.scalars(statement)).all())


async def stored_attempts(factory: SessionFactory) -> list[DeliveryAttempt]:
    async with factory() as session:
        return list(
            (await session.scalars(select(DeliveryAttempt).order_by(DeliveryAttempt.id))).all()
        )


@dataclass
class Api:
    client: httpx.AsyncClient
    app: FastAPI
    settings: NotifierSettings

    def token(self, *roles: str) -> dict[str, str]:
        secret = self.settings.jwt_secret.get_secret_value()
        return {"Authorization": f"Bearer {mint_token(secret, subject='t', roles=list(roles))}"}

    async def api_key(self, scope: str) -> dict[str, str]:
        """The headers of a new API key of the notifier, created by an admin."""
        created = await self.client.post(
            "/api/notifier/api-keys",
            json={"name": f"ERP ({scope})", "scopes": [scope]},
            headers=self.token("admin"),
        )
        assert created.status_code == 201, created.text
        return {"Authorization": f"Bearer {created.json()['api_key']}"}

    async def etag(self, path: str, *roles: str) -> str:
        """The ETag read at `path` (an endpoint or a delivery), for If-Match."""
        response = await self.client.get(path, headers=self.token(*(roles or ("admin",))))
        assert response.status_code == 200, response.text
        return response.headers["ETag"]

    async def create_endpoint(self, url: str, **extra: Any) -> dict[str, Any]:
        response = await self.client.post(
            "/api/notifier/webhooks",
            json={"url": url, "event_types": ["garage.*"], **extra},
            headers=self.token("admin"),
        )
        assert response.status_code == 201, response.text
        body: dict[str, Any] = response.json()
        return body


@pytest.fixture
async def api(
    engine: AsyncEngine, session_factory: SessionFactory, settings: NotifierSettings
) -> AsyncIterator[Api]:
    app = create_app(settings, Resources(engine, session_factory))
    async with app_client(app, "http://t", client_address=("127.0.0.1", 123)) as client:
        yield Api(client, app, settings)
