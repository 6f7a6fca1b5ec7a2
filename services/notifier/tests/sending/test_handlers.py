"""The sender's boundaries: no transaction stays open while a mail server or a webhook
receiver takes its time to answer; lanes share the queue without sending anything twice."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass, field

import asyncpg
import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session

from guichet_common.db import SessionFactory, libpq_dsn, make_engine, make_session_factory
from guichet_common.testing.server import free_port
from notifier.deps import NotifierState
from notifier.rules.service import SAMPLES
from notifier.settings import NotifierSettings

from ..conftest import (
    STATUS_CHANGED,
    STATUS_CHANGED_DATA,
    Api,
    FakeClock,
    HttpReceiver,
    MakeSender,
    RecordingHandler,
    SenderUnderTest,
    SmtpServer,
    envelope,
    ingest,
    stored_deliveries,
)

pytestmark = pytest.mark.integration


@dataclass
class SenderBackends:
    """What PostgreSQL says of the sender's connections, from a connection of its own."""

    dsn: str
    application_name: str
    seen: list[tuple[int, int]] = field(default_factory=list)  # (connected, in a transaction)

    async def look(self) -> None:
        connection = await asyncpg.connect(self.dsn)
        try:
            row = await connection.fetchrow(
                "SELECT count(*) AS connected,"
                " count(*) FILTER (WHERE xact_start IS NOT NULL) AS in_transaction"
                " FROM pg_stat_activity"
                " WHERE application_name = $1 AND datname = current_database()",
                self.application_name,
            )
        finally:
            await connection.close()
        assert row is not None
        self.seen.append((row["connected"], row["in_transaction"]))


class LookingHandler(RecordingHandler):
    """Before it answers DATA, looks at the sender's database connections."""

    def __init__(self, backends: SenderBackends) -> None:
        super().__init__()
        self.backends = backends

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        await self.backends.look()
        return await super().handle_DATA(server, session, envelope)


@pytest.fixture
async def observed_factory(
    migrated_database_url: str,
) -> AsyncIterator[tuple[SessionFactory, SenderBackends]]:
    """A session factory on an engine of its own, whose connections PostgreSQL can tell
    apart by their application name."""
    name = f"notifier-sender-{uuid.uuid4().hex[:8]}"
    engine = make_engine(migrated_database_url, pool_size=2, application_name=name)
    try:
        yield make_session_factory(engine), SenderBackends(libpq_dsn(migrated_database_url), name)
    finally:
        await engine.dispose()


async def test_no_transaction_is_open_while_an_smtp_server_answers(
    session_factory: SessionFactory,
    settings: NotifierSettings,
    clock: FakeClock,
    observed_factory: tuple[SessionFactory, SenderBackends],
) -> None:
    factory, backends = observed_factory
    handler = LookingHandler(backends)
    port = free_port()
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    sending = settings.model_copy(update={"smtp_url": f"smtp://127.0.0.1:{port}"})
    state = NotifierState.open(sending)
    try:
        accepted = "garage.quote.accepted.v1"  # three mails: the client and two teachers
        await ingest(session_factory, settings, envelope(accepted, SAMPLES[accepted]))
        assert await SenderUnderTest(factory, sending, state, clock).run_once() == 3
    finally:
        await state.close()
        controller.stop()
    assert len(handler.messages) == 3
    # The sender's pooled connection is there (so this looked at the right backends), and
    # none of its connections was inside a transaction while a mail was on the wire.
    assert len(backends.seen) == 3
    assert all(
        connected >= 1 and in_transaction == 0 for connected, in_transaction in backends.seen
    )
    assert {d.state for d in await stored_deliveries(session_factory)} == {"sent"}


async def test_no_transaction_is_open_while_a_webhook_receiver_answers(
    api: Api,
    session_factory: SessionFactory,
    settings: NotifierSettings,
    clock: FakeClock,
    receiver: HttpReceiver,
    observed_factory: tuple[SessionFactory, SenderBackends],
) -> None:
    factory, backends = observed_factory
    receiver.before_answer = backends.look
    await api.create_endpoint(receiver.url)
    await ingest(session_factory, settings, envelope(STATUS_CHANGED, STATUS_CHANGED_DATA))
    state = NotifierState.open(settings)
    try:
        assert await SenderUnderTest(factory, settings, state, clock).run_once() == 1
    finally:
        await state.close()
    assert len(receiver.requests) == 1
    assert len(backends.seen) == 1
    [(connected, in_transaction)] = backends.seen
    assert connected >= 1 and in_transaction == 0


async def test_lanes_drain_the_queue_each_delivery_once(
    session_factory: SessionFactory,
    settings: NotifierSettings,
    smtp_server: SmtpServer,
    sender_factory: MakeSender,
) -> None:
    submitted = "garage.request.submitted.v1"
    client_only = settings.model_copy(update={"garage_teachers": ()})
    for n in range(12):
        data = {**SAMPLES[submitted], "client_email": f"client{n}@example.org"}
        await ingest(session_factory, client_only, envelope(submitted, data, f"DEM-2026-{n:04d}"))
    sender = sender_factory(smtp_server.url, sender_lanes=3, sender_batch_size=2)
    assert await sender.drain() == 12
    recipients = sorted(str(m["To"]) for m in smtp_server.handler.messages)
    assert recipients == sorted(f"client{n}@example.org" for n in range(12))
    assert {d.state for d in await stored_deliveries(session_factory)} == {"sent"}
    assert await sender.drain() == 0
