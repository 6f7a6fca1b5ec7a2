"""A consumer process whose handler writes, then hangs: the test kills it mid-handler.

usage: crashing_consumer.py DATABASE_URL AMQP_URL SCHEMA GROUP MARKER_FILE
"""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path

from sqlalchemy.ext.asyncio import create_async_engine

from guichet_common.inbox import InboxHandler, Subscription
from guichet_common.messaging.bus import RetryPolicy
from guichet_common.messaging.rabbitmq import RabbitBus
from guichet_common.testing.bus import ThingHappenedV1, create_bus_schema


async def main(database_url: str, amqp_url: str, schema: str, group: str, marker: Path) -> None:
    bus_schema = await create_bus_schema(create_async_engine(database_url), schema)
    subscription = Subscription(group)

    @subscription.on(ThingHappenedV1)
    async def handle(session, _event, envelope):  # type: ignore[no-untyped-def]
        await bus_schema.record_effect(session, envelope, "crashing")
        await session.flush()
        marker.write_text(str(envelope.id))
        await asyncio.sleep(3600)

    bus = RabbitBus(amqp_url, name="crashing-consumer")
    spec = subscription.queue_spec("testsvc")
    await bus.consume(
        spec,
        InboxHandler(spec.name, subscription, bus_schema.session_factory, bus_schema.tables),
        RetryPolicy((0.2,)),
    )
    marker.with_name(marker.name + ".ready").touch()
    await asyncio.Event().wait()


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4], Path(sys.argv[5])))
