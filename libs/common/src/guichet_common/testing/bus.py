"""Helpers for tests of the event plumbing: a throwaway schema, an effects table, waiting."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from sqlalchemy import Column, Integer, MetaData, String, Table, func, select, text
from sqlalchemy.dialects.postgresql import UUID
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from guichet_common.db import SessionFactory, make_session_factory, schema_metadata
from guichet_common.events import Envelope, Event, EventRegistry
from guichet_common.outbox import Outbox
from guichet_common.tables import PlumbingTables, define_plumbing_tables


class ThingHappenedV1(Event):
    event_type = "testsvc.thing.happened.v1"
    n: int


registry = EventRegistry()
registry.register(ThingHappenedV1)


@dataclass
class BusSchema:
    engine: AsyncEngine
    session_factory: SessionFactory
    tables: PlumbingTables
    effect: Table
    outbox: Outbox

    async def effects(self) -> dict[uuid.UUID, int]:
        async with self.engine.connect() as conn:
            rows = await conn.execute(
                select(self.effect.c.event_id, func.count()).group_by(self.effect.c.event_id)
            )
            return {row[0]: row[1] for row in rows}

    async def publish_committed(self, count: int, start: int = 0) -> list[Envelope]:
        envelopes = []
        async with self.session_factory() as session, session.begin():
            for i in range(start, start + count):
                envelopes.append(await self.outbox.publish(session, ThingHappenedV1(n=i)))
        return envelopes

    async def record_effect(self, session: AsyncSession, envelope: Envelope, handler: str) -> None:
        await session.execute(self.effect.insert().values(event_id=envelope.id, handler=handler))


async def wait_for(
    predicate: Callable[[], Awaitable[bool]], timeout: float = 20.0, interval: float = 0.05
) -> None:
    deadline = asyncio.get_running_loop().time() + timeout
    while not await predicate():
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(f"condition not met within {timeout}s")
        await asyncio.sleep(interval)


async def create_bus_schema(engine: AsyncEngine, schema: str) -> BusSchema:
    metadata: MetaData = schema_metadata(schema)
    tables = define_plumbing_tables(metadata)
    effect = Table(
        "effect",
        metadata,
        Column("id", Integer, primary_key=True, autoincrement=True),
        Column("event_id", UUID(as_uuid=True), nullable=False),
        Column("handler", String(100), nullable=False),
    )
    async with engine.begin() as conn:
        await conn.execute(text(f'CREATE SCHEMA IF NOT EXISTS "{schema}"'))
        await conn.run_sync(metadata.create_all)
    return BusSchema(
        engine, make_session_factory(engine), tables, effect, Outbox("testsvc", tables)
    )


async def drop_bus_schema(bus: BusSchema) -> None:
    async with bus.engine.begin() as conn:
        await conn.execute(text(f'DROP SCHEMA "{bus.tables.schema}" CASCADE'))
    await bus.engine.dispose()
