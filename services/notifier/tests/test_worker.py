from __future__ import annotations

import asyncio
import uuid

import aio_pika
import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from guichet_common.db import SessionFactory
from guichet_common.messaging.bus import OutgoingMessage
from guichet_common.messaging.rabbitmq import RabbitBus
from guichet_common.runtime import Resources, ServiceWorker
from guichet_common.testing.bus import wait_for
from notifier.main import definition
from notifier.rules.service import SAMPLES
from notifier.settings import NotifierSettings

from .conftest import SmtpServer, envelope

pytestmark = pytest.mark.integration


async def test_worker_consumes_from_rabbitmq_once_and_sends_in_the_background(
    engine: AsyncEngine,
    session_factory: SessionFactory,
    settings: NotifierSettings,
    amqp_url: str,
    smtp_server: SmtpServer,
) -> None:
    worker_settings = settings.model_copy(
        update={"amqp_url": amqp_url, "smtp_url": smtp_server.url, "sender_poll_seconds": 0.05}
    )
    service = definition(worker_settings)
    bus = RabbitBus(amqp_url, name="notifier-test")
    await bus.connect()
    worker = ServiceWorker(service, Resources(engine, session_factory), bus)
    await worker.start()
    try:
        client = f"client-{uuid.uuid4().hex[:8]}@example.org"
        data = {**SAMPLES["garage.request.submitted.v1"], "client_email": client}
        event = envelope("garage.request.submitted.v1", data, subject="DEM-2026-0777")
        message = OutgoingMessage(
            routing_key=event.type, body=event.to_json(), message_id=str(event.id)
        )
        await bus.publish_batch([message])
        await bus.publish_batch([message])  # the broker redelivers: still one email

        async def sent() -> bool:
            return any(m["To"] == client for m in smtp_server.handler.messages)

        await wait_for(sent, timeout=20)
        await asyncio.sleep(0.5)
        mine = [m for m in smtp_server.handler.messages if m["To"] == client]
        assert len(mine) == 1
        assert mine[0]["References"] == "<DEM-2026-0777@lycee.example>"
    finally:
        await bus.stop_consuming()
        await worker.stop()
        await bus.close()
        # Leave no durable queue collecting other tests' garage events.
        connection = await aio_pika.connect(amqp_url)
        async with connection:
            channel = await connection.channel()
            await channel.queue_delete("notifier.events")
            await channel.queue_delete("notifier.events.dlq")
