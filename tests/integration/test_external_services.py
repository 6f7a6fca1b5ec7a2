"""With GUICHET_DATABASE_URL and GUICHET_AMQP_URL, `guichet up` and each service's worker use
them: an event committed to a service's outbox reaches RabbitMQ."""

from __future__ import annotations

import asyncio
import signal
import subprocess
import sys
import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import aio_pika
import httpx
import pytest
from sqlalchemy.ext.asyncio import create_async_engine

from guichet_common.db import make_session_factory, unit_of_work
from guichet_common.events import Event
from guichet_common.messaging.topology import EVENTS_EXCHANGE
from guichet_common.testing.plugin import alembic_upgrade
from guichet_common.testing.server import free_port
from ticketing.events import outbox

from .running import Guichet, clean_env

pytestmark = pytest.mark.integration

ROOT = Path(__file__).resolve().parents[2]


class ProbeSentV1(Event):
    event_type = "ticketing.probe.sent.v1"
    marker: str


@pytest.fixture
async def tap(amqp_url: str) -> AsyncIterator[asyncio.Queue[aio_pika.abc.AbstractIncomingMessage]]:
    """An exclusive queue bound to every ticketing event."""
    received: asyncio.Queue[aio_pika.abc.AbstractIncomingMessage] = asyncio.Queue()
    connection = await aio_pika.connect(amqp_url)
    async with connection:
        channel = await connection.channel()
        exchange = await channel.declare_exchange(
            EVENTS_EXCHANGE,
            aio_pika.ExchangeType.TOPIC,
            durable=True,
            arguments={"alternate-exchange": "guichet.unrouted"},
        )
        queue = await channel.declare_queue(exclusive=True)
        await queue.bind(exchange, "ticketing.#")
        await queue.consume(received.put, no_ack=True)
        yield received


async def publish_probe(database_url: str) -> str:
    marker = uuid.uuid4().hex
    engine = create_async_engine(database_url)
    try:
        async with unit_of_work(make_session_factory(engine)) as session:
            await outbox.publish(session, ProbeSentV1(marker=marker), subject="INC-2026-000001")
    finally:
        await engine.dispose()
    return marker


async def expect_probe(
    tap: asyncio.Queue[aio_pika.abc.AbstractIncomingMessage], marker: str
) -> None:
    while True:
        message = await asyncio.wait_for(tap.get(), timeout=30)
        if marker.encode() in message.body:
            return


async def test_guichet_up_uses_the_configured_database_and_rabbitmq(
    test_database_url: str,
    amqp_url: str,
    tmp_path: Path,
    tap: asyncio.Queue[aio_pika.abc.AbstractIncomingMessage],
) -> None:
    guichet = await asyncio.to_thread(
        Guichet,
        tmp_path / "var",
        {
            "GUICHET_DATABASE_URL": test_database_url,
            "GUICHET_AMQP_URL": amqp_url,
        },
    )
    try:
        ready = await asyncio.to_thread(httpx.get, guichet.base + "/readyz", timeout=10)
        assert ready.status_code == 200, ready.text
        await expect_probe(tap, await publish_probe(test_database_url))
        assert not (tmp_path / "var" / "postgres").exists(), "no embedded PostgreSQL wanted"
    finally:
        assert await asyncio.to_thread(guichet.stop) == 0


async def test_service_worker_runs_alone_against_rabbitmq(
    test_database_url: str,
    amqp_url: str,
    tap: asyncio.Queue[aio_pika.abc.AbstractIncomingMessage],
) -> None:
    await asyncio.to_thread(alembic_upgrade, ROOT / "services" / "ticketing", test_database_url)
    port = free_port()
    worker = subprocess.Popen(
        [sys.executable, "-m", "ticketing.worker"],
        env={
            **clean_env(),
            "TICKETING_DATABASE_URL": test_database_url,
            "GUICHET_AMQP_URL": amqp_url,
            "GUICHET_WORKER_HEALTH_PORT": str(port),
        },
    )
    try:
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}") as client:
            for _ in range(100):
                try:
                    if (await client.get("/readyz")).status_code == 200:
                        break
                except httpx.HTTPError:
                    pass
                await asyncio.sleep(0.2)
            else:
                raise AssertionError("worker never became ready")
            assert (await client.get("/metrics")).status_code == 200
        await expect_probe(tap, await publish_probe(test_database_url))
        worker.send_signal(signal.SIGTERM)
        assert await asyncio.to_thread(worker.wait, 30) == 0
    finally:
        if worker.poll() is None:
            worker.kill()
            worker.wait()
