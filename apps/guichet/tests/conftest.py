from __future__ import annotations

import uuid
from collections.abc import AsyncIterator

import aio_pika
import pytest
from sqlalchemy.ext.asyncio import create_async_engine

from guichet_common.testing.bus import BusSchema, create_bus_schema, drop_bus_schema


@pytest.fixture
async def bus_schema(test_database_url: str) -> AsyncIterator[BusSchema]:
    schema = await create_bus_schema(
        create_async_engine(test_database_url), f"bus_{uuid.uuid4().hex[:8]}"
    )
    yield schema
    await drop_bus_schema(schema)


@pytest.fixture
async def group(amqp_url: str) -> AsyncIterator[str]:
    name = f"g{uuid.uuid4().hex[:10]}"
    yield name
    connection = await aio_pika.connect(amqp_url)
    async with connection:
        channel = await connection.channel()
        for queue in (f"testsvc.{name}", f"testsvc.{name}.dlq"):
            await channel.queue_delete(queue)
