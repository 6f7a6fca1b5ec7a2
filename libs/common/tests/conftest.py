from __future__ import annotations

import uuid
from collections.abc import AsyncIterator

import pytest
from sqlalchemy.ext.asyncio import create_async_engine

from guichet_common.testing.bus import BusSchema, create_bus_schema, drop_bus_schema


@pytest.fixture
async def bus_schema(test_database_url: str) -> AsyncIterator[BusSchema]:
    """A throwaway schema with the plumbing tables and an `effect` table handlers write to."""
    engine = create_async_engine(test_database_url, pool_size=10)
    schema = await create_bus_schema(engine, f"bus_{uuid.uuid4().hex[:8]}")
    try:
        yield schema
    finally:
        await drop_bus_schema(schema)
