"""The event plumbing against a real PostgreSQL and RabbitMQ, each test causing its fault."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import uuid
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import aio_pika
import pytest
from sqlalchemy import func, select
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import create_async_engine

from guichet_common.db import make_session_factory
from guichet_common.dlq import inspect
from guichet_common.events import build_envelope
from guichet_common.inbox import InboxHandler, Subscription
from guichet_common.messaging.bus import OutgoingMessage, RetryPolicy
from guichet_common.messaging.rabbitmq import RabbitBus
from guichet_common.messaging.topology import EVENTS_EXCHANGE
from guichet_common.outbox import OutboxRelay
from guichet_common.testing.bus import BusSchema, ThingHappenedV1, wait_for
from guichet_common.testing.proxy import TcpProxy

pytestmark = pytest.mark.integration


def recording(bus: BusSchema, consumer_group: str, patterns: tuple[str, ...] = ()) -> Subscription:
    subscription = Subscription(consumer_group, patterns=patterns)

    @subscription.on(ThingHappenedV1)
    async def handle(session, _event, envelope):  # type: ignore[no-untyped-def]
        await bus.record_effect(session, envelope, consumer_group)

    return subscription


async def consume(
    rabbit: RabbitBus,
    bus: BusSchema,
    subscription: Subscription,
    delays: tuple[float, ...] = (0.2,),
) -> None:
    spec = subscription.queue_spec("testsvc", prefetch=16)
    handler = InboxHandler(spec.name, subscription, bus.session_factory, bus.tables)
    await rabbit.consume(spec, handler, RetryPolicy(delays))


async def all_handled_once(bus: BusSchema, ids: list[uuid.UUID]) -> bool:
    effects = await bus.effects()
    return all(effects.get(i) == 1 for i in ids)


async def processed_count(bus: BusSchema) -> int:
    async with bus.engine.connect() as conn:
        return int(
            await conn.scalar(select(func.count()).select_from(bus.tables.processed_event)) or 0
        )


async def test_event_reaches_consumers_if_and_only_if_committed(
    bus_schema: BusSchema, rabbit: RabbitBus, consumer_group: str
) -> None:
    await consume(rabbit, bus_schema, recording(bus_schema, consumer_group))
    # A long sweep: only LISTEN/NOTIFY can wake the relay in time.
    relay = OutboxRelay(bus_schema.engine, bus_schema.tables, rabbit, sweep_seconds=60)
    await relay.start()
    try:
        await asyncio.sleep(0.3)  # the relay is listening
        async with bus_schema.session_factory() as session:
            await session.begin()
            rolled_back = await bus_schema.outbox.publish(session, ThingHappenedV1(n=-1))
            await session.rollback()
        committed = await bus_schema.publish_committed(1)
        await wait_for(lambda: all_handled_once(bus_schema, [committed[0].id]), timeout=10)
        await asyncio.sleep(0.5)
        effects = await bus_schema.effects()
        assert effects == {committed[0].id: 1}
        assert rolled_back.id not in effects
    finally:
        await relay.stop()


async def test_broker_unreachable_then_back_delivers_everything_once(
    bus_schema: BusSchema, rabbit: RabbitBus, consumer_group: str, amqp_url: str
) -> None:
    await consume(rabbit, bus_schema, recording(bus_schema, consumer_group))
    target = urlsplit(amqp_url)
    proxy = TcpProxy(target.hostname or "127.0.0.1", target.port or 5672)
    await proxy.start()
    netloc = f"{target.username}:{target.password}@127.0.0.1:{proxy.port}"
    relay_bus = RabbitBus(
        urlunsplit(target._replace(netloc=netloc)), name="test-relay", publish_timeout=2
    )
    relay = OutboxRelay(bus_schema.engine, bus_schema.tables, relay_bus, sweep_seconds=0.5)
    await relay.start()
    try:
        before = await bus_schema.publish_committed(20)
        await wait_for(lambda: all_handled_once(bus_schema, [e.id for e in before]))

        proxy.cut()
        during = await bus_schema.publish_committed(30, start=20)
        await asyncio.sleep(3)
        async with bus_schema.engine.connect() as conn:
            pending = await conn.scalar(
                select(func.count()).where(bus_schema.tables.outbox.c.published_at.is_(None))
            )
        assert pending == 30, "the relay must not mark anything published while cut off"

        proxy.restore()
        ids = [e.id for e in before + during]
        await wait_for(lambda: all_handled_once(bus_schema, ids), timeout=60)
        await asyncio.sleep(1)
        effects = await bus_schema.effects()
        assert set(effects) == set(ids)
        assert set(effects.values()) == {1}
    finally:
        await relay.stop()
        await relay_bus.close()
        await proxy.close()


async def test_consumer_killed_mid_handler_event_applied_exactly_once(
    bus_schema: BusSchema,
    rabbit: RabbitBus,
    consumer_group: str,
    amqp_url: str,
    test_database_url: str,
    tmp_path: Path,
) -> None:
    marker = tmp_path / "in-handler"
    script = Path(__file__).with_name("crashing_consumer.py")
    process = subprocess.Popen(
        [
            sys.executable,
            str(script),
            test_database_url,
            amqp_url,
            bus_schema.tables.schema,
            consumer_group,
            str(marker),
        ],
        env={**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)},
    )
    try:
        ready = tmp_path / "in-handler.ready"
        await wait_for(lambda: _exists(ready), timeout=30)
        [event] = await bus_schema.publish_committed(1)
        await OutboxRelay(bus_schema.engine, bus_schema.tables, rabbit).drain()
        await wait_for(lambda: _exists(marker), timeout=20)
        assert marker.read_text() == str(event.id)
        process.send_signal(signal.SIGKILL)
        process.wait(timeout=10)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    assert await bus_schema.effects() == {}, "the killed handler's transaction never committed"

    await consume(rabbit, bus_schema, recording(bus_schema, consumer_group))
    await wait_for(lambda: all_handled_once(bus_schema, [event.id]), timeout=30)
    await asyncio.sleep(0.5)
    assert await bus_schema.effects() == {event.id: 1}
    assert await processed_count(bus_schema) == 1


async def _exists(path: Path) -> bool:
    return path.exists()


async def test_same_event_delivered_twice_is_handled_once(
    bus_schema: BusSchema, rabbit: RabbitBus, consumer_group: str
) -> None:
    await consume(rabbit, bus_schema, recording(bus_schema, consumer_group))
    envelope = build_envelope(service="testsvc", event=ThingHappenedV1(n=1))
    message = OutgoingMessage(envelope.type, envelope.to_json(), str(envelope.id))
    await rabbit.publish_batch([message])
    await wait_for(lambda: all_handled_once(bus_schema, [envelope.id]))
    # Redelivered later, in its own transaction: the inbox row already committed.
    await rabbit.publish_batch([message])
    # And several copies at once, which may share a batch or race in parallel batches.
    await rabbit.publish_batch([message] * 4)
    await asyncio.sleep(1.5)
    assert await bus_schema.effects() == {envelope.id: 1}
    assert await processed_count(bus_schema) == 1


async def test_two_relays_on_one_outbox_publish_each_event_once(
    bus_schema: BusSchema, amqp_url: str, consumer_group: str
) -> None:
    connection = await aio_pika.connect(amqp_url)
    received: list[str] = []
    async with connection:
        channel = await connection.channel()
        exchange = await channel.declare_exchange(EVENTS_EXCHANGE, passive=True)
        queue = await channel.declare_queue(f"testsvc.{consumer_group}", exclusive=True)
        await queue.bind(exchange, ThingHappenedV1.event_type)

        async def on_message(message: aio_pika.abc.AbstractIncomingMessage) -> None:
            received.append(str(message.message_id))
            await message.ack()

        await queue.consume(on_message)
        envelopes = await bus_schema.publish_committed(400)
        buses = [RabbitBus(amqp_url, name=f"relay-{i}") for i in range(2)]
        relays = [
            OutboxRelay(bus_schema.engine, bus_schema.tables, b, batch_size=25) for b in buses
        ]
        try:
            counts = await asyncio.gather(*(r.drain() for r in relays))
        finally:
            for b in buses:
                await b.close()
        assert sum(counts) == 400
        assert all(c > 0 for c in counts), f"both relays should have worked: {counts}"

        async def all_received() -> bool:
            return len(received) >= 400

        await wait_for(all_received)
        await asyncio.sleep(1)
    assert len(received) == 400
    assert set(received) == {str(e.id) for e in envelopes}


async def test_malformed_and_unknown_messages_are_parked_at_once(
    bus_schema: BusSchema, rabbit: RabbitBus, consumer_group: str, amqp_url: str
) -> None:
    # A 30 s first retry delay: anything retried instead of parked would miss the deadline.
    await consume(
        rabbit,
        bus_schema,
        recording(bus_schema, consumer_group, patterns=("testsvc.#",)),
        delays=(30.0,),
    )
    unknown = build_envelope(service="testsvc", event=ThingHappenedV1(n=1)).model_copy(
        update={"type": "testsvc.thing.vanished.v1"}
    )
    invalid = build_envelope(service="testsvc", event=ThingHappenedV1(n=1)).model_copy(
        update={"data": {"n": "not a number"}}
    )
    good = build_envelope(service="testsvc", event=ThingHappenedV1(n=2))
    await rabbit.publish_batch(
        [
            OutgoingMessage("testsvc.thing.happened.v1", b"{not json", "garbage-1"),
            OutgoingMessage(unknown.type, unknown.to_json(), str(unknown.id)),
            OutgoingMessage(invalid.type, invalid.to_json(), str(invalid.id)),
            OutgoingMessage(good.type, good.to_json(), str(good.id)),
        ]
    )
    await wait_for(lambda: all_handled_once(bus_schema, [good.id]), timeout=10)

    async def three_parked() -> bool:
        [dlq] = await inspect(amqp_url, [f"testsvc.{consumer_group}"])
        return dlq.depth == 3

    await wait_for(three_parked, timeout=5)
    [dlq] = await inspect(amqp_url, [f"testsvc.{consumer_group}"])
    errors = sorted(p.error for p in dlq.sample)
    assert any(e.startswith("invalid testsvc.thing.happened.v1 payload") for e in errors)
    assert any(e.startswith("malformed envelope") for e in errors)
    assert any("no handler for testsvc.thing.vanished.v1" in e for e in errors)
    assert await bus_schema.effects() == {good.id: 1}


async def test_database_outage_in_consumers_parks_nothing_and_loses_nothing(
    bus_schema: BusSchema,
    rabbit: RabbitBus,
    consumer_group: str,
    amqp_url: str,
    test_database_url: str,
) -> None:
    """The consumers' PostgreSQL goes away for longer than the whole retry schedule."""
    target = make_url(test_database_url)
    proxy = TcpProxy(target.host or "127.0.0.1", target.port or 5432)
    await proxy.start()
    engine = create_async_engine(
        target.set(host="127.0.0.1", port=proxy.port), pool_pre_ping=True, pool_size=5
    )
    try:
        subscription = recording(bus_schema, consumer_group)
        spec = subscription.queue_spec("testsvc", prefetch=16)
        handler = InboxHandler(
            spec.name, subscription, make_session_factory(engine), bus_schema.tables
        )
        await rabbit.consume(spec, handler, RetryPolicy((0.2, 0.5)))
        relay = OutboxRelay(bus_schema.engine, bus_schema.tables, rabbit)
        first = await bus_schema.publish_committed(10)
        await relay.drain()
        await wait_for(lambda: all_handled_once(bus_schema, [e.id for e in first]))

        proxy.cut()
        second = await bus_schema.publish_committed(20, start=10)
        await relay.drain()
        await asyncio.sleep(3)  # far beyond 0.2 s + 0.5 s: counted retries would have parked
        proxy.restore()
        ids = [e.id for e in first + second]
        await wait_for(lambda: all_handled_once(bus_schema, ids), timeout=60)
        [dlq] = await inspect(amqp_url, [spec.name])
        assert dlq.depth == 0
        assert set((await bus_schema.effects()).values()) == {1}
    finally:
        await rabbit.stop_consuming()
        await engine.dispose()
        await proxy.close()


async def test_consumer_connection_cut_mid_stream_loses_nothing(
    bus_schema: BusSchema, rabbit: RabbitBus, consumer_group: str, amqp_url: str
) -> None:
    """The consumer's own link to the broker drops while it holds prefetched and in-flight
    messages: they come back after the robust reconnect and are each applied once."""
    target = urlsplit(amqp_url)
    proxy = TcpProxy(target.hostname or "127.0.0.1", target.port or 5672)
    await proxy.start()
    netloc = f"{target.username}:{target.password}@127.0.0.1:{proxy.port}"
    consumer_bus = RabbitBus(urlunsplit(target._replace(netloc=netloc)), name="cut-consumer")
    subscription = Subscription(consumer_group)

    @subscription.on(ThingHappenedV1)
    async def slow(session, _event, envelope):  # type: ignore[no-untyped-def]
        await bus_schema.record_effect(session, envelope, consumer_group)
        await asyncio.sleep(0.02)

    try:
        await consume(consumer_bus, bus_schema, subscription)
        events = await bus_schema.publish_committed(300)
        await OutboxRelay(bus_schema.engine, bus_schema.tables, rabbit).drain()

        async def some_handled() -> bool:
            return len(await bus_schema.effects()) >= 30

        await wait_for(some_handled)
        proxy.cut()
        await asyncio.sleep(1)
        proxy.restore()
        ids = [e.id for e in events]
        await wait_for(lambda: all_handled_once(bus_schema, ids), timeout=90)
        await asyncio.sleep(1)
        assert set((await bus_schema.effects()).values()) == {1}
        assert await processed_count(bus_schema) == 300
    finally:
        await consumer_bus.close()
        await proxy.close()


async def test_a_handlers_own_os_error_uses_its_retries_then_is_parked(
    bus_schema: BusSchema, rabbit: RabbitBus, consumer_group: str, amqp_url: str
) -> None:
    """A FileNotFoundError (a template missing) is the handler's failure, not an outage:
    retried after each delay, then parked with the reason, never retried without end."""
    subscription = Subscription(consumer_group)
    tries: list[int] = []

    @subscription.on(ThingHappenedV1)
    async def handle(_session, _event, _envelope):  # type: ignore[no-untyped-def]
        tries.append(1)
        raise FileNotFoundError("templates/missing.txt.j2")

    await consume(rabbit, bus_schema, subscription, delays=(0.2, 0.2))
    [event] = await bus_schema.publish_committed(1)
    await OutboxRelay(bus_schema.engine, bus_schema.tables, rabbit).drain()

    async def parked() -> bool:
        [dlq] = await inspect(amqp_url, [f"testsvc.{consumer_group}"])
        return dlq.depth == 1

    await wait_for(parked, timeout=20)
    [dlq] = await inspect(amqp_url, [f"testsvc.{consumer_group}"])
    assert dlq.sample[0].event_id == str(event.id)
    assert dlq.sample[0].error.startswith("failed after 3 attempts: FileNotFoundError")
    assert len(tries) == 3
