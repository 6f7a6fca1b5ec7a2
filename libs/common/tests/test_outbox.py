"""The outbox when a message cannot go: the broker refuses one message of a batch (it is
retried, then set aside, and the events behind it flow), an event too big for the bus is
refused in its producer's transaction, and an unreachable bus counts no attempt."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Sequence

import aio_pika
import pytest
from sqlalchemy import select

from guichet_common.events import Event
from guichet_common.inbox import InboxHandler, Subscription
from guichet_common.messaging.bus import OutgoingMessage, Refusal, RetryPolicy
from guichet_common.messaging.rabbitmq import RabbitBus
from guichet_common.messaging.topology import EVENTS_EXCHANGE
from guichet_common.outbox import (
    EnvelopeTooLarge,
    Outbox,
    OutboxRelay,
    outbox_status,
    resend_set_aside,
)
from guichet_common.testing.bus import BusSchema, ThingHappenedV1, wait_for

pytestmark = pytest.mark.integration


class ParcelSentV1(Event):
    """What the full queue below refuses."""

    event_type = "testsvc.parcel.sent.v1"
    n: int


class ReportFiledV1(Event):
    event_type = "testsvc.report.filed.v1"
    text: str


@pytest.fixture
async def full_queue(amqp_url: str) -> AsyncIterator[str]:
    """A queue bound to parcels that holds nothing and rejects what it cannot hold: the
    broker nacks every parcel, and only parcels."""
    name = f"full-{uuid.uuid4().hex[:8]}"
    connection = await aio_pika.connect(amqp_url)
    async with connection:
        channel = await connection.channel()
        exchange = await channel.get_exchange(EVENTS_EXCHANGE)
        queue = await channel.declare_queue(
            name, arguments={"x-max-length": 0, "x-overflow": "reject-publish"}
        )
        await queue.bind(exchange, ParcelSentV1.event_type)
        try:
            yield name
        finally:
            await channel.queue_delete(name)


async def test_a_message_the_broker_refuses_is_set_aside_and_the_events_behind_it_flow(
    bus_schema: BusSchema,
    rabbit: RabbitBus,
    consumer_group: str,
    full_queue: str,
    amqp_url: str,
) -> None:
    subscription = Subscription(consumer_group, patterns=(ThingHappenedV1.event_type,))

    @subscription.on(ThingHappenedV1)
    async def handle(session, _event, envelope):  # type: ignore[no-untyped-def]
        await bus_schema.record_effect(session, envelope, consumer_group)

    spec = subscription.queue_spec("testsvc", prefetch=16)
    handler = InboxHandler(spec.name, subscription, bus_schema.session_factory, bus_schema.tables)
    await rabbit.consume(spec, handler, RetryPolicy((0.2,)))

    async with bus_schema.session_factory() as session, session.begin():
        first = await bus_schema.outbox.publish(session, ThingHappenedV1(n=1))
        parcel = await bus_schema.outbox.publish(session, ParcelSentV1(n=2), subject="COLIS-1")
        second = await bus_schema.outbox.publish(session, ThingHappenedV1(n=3))
    relay = OutboxRelay(bus_schema.engine, bus_schema.tables, rabbit, refusal_delays=(0.0, 0.0))

    # One batch, in seq order: the parcel between two events the broker takes.
    assert await relay.relay_batch() == 3
    await wait_for(lambda: _handled(bus_schema, [first.id, second.id]))
    async with bus_schema.session_factory() as session:
        status = await outbox_status(session, bus_schema.tables)
    assert (status.pending, status.failing, status.set_aside) == (1, 1, 0)
    assert status.last_error is not None and "refused by the broker" in status.last_error

    # Refused after each delay, then set aside with its reason; what comes next flows.
    await relay.drain()
    [third] = await bus_schema.publish_committed(1, start=4)
    await relay.drain()
    await wait_for(lambda: _handled(bus_schema, [first.id, second.id, third.id]))
    async with bus_schema.session_factory() as session:
        status = await outbox_status(session, bus_schema.tables)
    assert (status.pending, status.set_aside) == (0, 1)
    [aside] = status.set_aside_rows
    assert (aside.id, aside.routing_key, aside.subject) == (
        str(parcel.id),
        ParcelSentV1.event_type,
        "COLIS-1",
    )
    assert aside.attempts == 3 and "Nack" in (aside.last_error or "")

    # The cause fixed (the queue drained, here: a queue that takes parcels instead), the
    # row is sent again, once.
    connection = await aio_pika.connect(amqp_url)
    async with connection:
        channel = await connection.channel()
        await channel.queue_delete(full_queue)
        catcher = await channel.declare_queue(exclusive=True)
        await catcher.bind(await channel.get_exchange(EVENTS_EXCHANGE), ParcelSentV1.event_type)
        async with bus_schema.session_factory() as session, session.begin():
            assert await resend_set_aside(session, bus_schema.tables) == 1
        assert await relay.drain() == 1
        message = await catcher.get(timeout=5)
        assert message.message_id == str(parcel.id)
        await message.ack()
    async with bus_schema.session_factory() as session:
        status = await outbox_status(session, bus_schema.tables)
    assert (status.pending, status.set_aside) == (0, 0)


async def _handled(bus: BusSchema, ids: Sequence[uuid.UUID]) -> bool:
    effects = await bus.effects()
    return all(effects.get(i) == 1 for i in ids)


async def test_an_event_over_the_maximum_size_is_refused_in_its_producers_transaction(
    bus_schema: BusSchema,
) -> None:
    outbox = Outbox("testsvc", bus_schema.tables, max_envelope_bytes=2048)
    too_large = r"testsvc\.report\.filed\.v1 is \d+ bytes; the bus takes at most 2048"
    with pytest.raises(EnvelopeTooLarge, match=too_large):
        async with bus_schema.session_factory() as session, session.begin():
            await session.execute(
                bus_schema.effect.insert().values(event_id=uuid.uuid4(), handler="the change")
            )
            await outbox.publish(session, ReportFiledV1(text="x" * 3000))
    async with bus_schema.session_factory() as session, session.begin():
        await outbox.publish(session, ReportFiledV1(text="x" * 1000))
    async with bus_schema.engine.connect() as conn:
        assert (await conn.execute(select(bus_schema.effect.c.handler))).all() == []
        types = (await conn.execute(select(bus_schema.tables.outbox.c.routing_key))).scalars()
        assert list(types) == [ReportFiledV1.event_type]


class UnreachableBus:
    """A bus whose broker cannot be reached (a unit test's stand-in; the real broker's
    outages are in test_bus_rabbitmq)."""

    async def publish_batch(self, messages: Sequence[OutgoingMessage]) -> list[Refusal]:
        raise ConnectionError("connection refused")


async def test_an_unreachable_bus_counts_no_attempt(bus_schema: BusSchema) -> None:
    await bus_schema.publish_committed(2)
    relay = OutboxRelay(
        bus_schema.engine,
        bus_schema.tables,
        UnreachableBus(),  # type: ignore[arg-type]
        refusal_delays=(),
    )
    for _ in range(3):
        with pytest.raises(ConnectionError):
            await relay.relay_batch()
    await relay.stop()
    async with bus_schema.session_factory() as session:
        status = await outbox_status(session, bus_schema.tables)
    assert (status.pending, status.failing, status.set_aside) == (2, 2, 0)
    assert status.last_error == "ConnectionError('connection refused')"
    async with bus_schema.engine.connect() as conn:
        attempts = (await conn.execute(select(bus_schema.tables.outbox.c.attempts))).scalars()
        assert set(attempts) == {0}
