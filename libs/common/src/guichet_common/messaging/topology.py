"""Guichet's exchanges and queues on RabbitMQ, and the headers it sets.

- `guichet.events`: durable topic exchange; routing key = event type. Unroutable messages go
  to its alternate exchange `guichet.unrouted` (and queue of the same name), never lost.
- one quorum queue per consumer group (`<service>.<group>`), bound with routing-key patterns.
- retries: one fanout exchange + TTL queue per delay (`guichet.retry.<ms>ms`); a retry is
  published there with routing key = the failing queue, and dead-letters back through the
  default exchange to that queue only: other consumers never see it again.
- parking: `<queue>.dlq`, with the failure reason in headers. The quorum queue also
  dead-letters there through `guichet.dlx` once its delivery limit is hit (crash loops).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import aio_pika
from aio_pika.abc import AbstractChannel, AbstractExchange, AbstractIncomingMessage, AbstractQueue

from guichet_common.messaging.bus import QueueSpec

EVENTS_EXCHANGE = "guichet.events"
UNROUTED_EXCHANGE = "guichet.unrouted"
DEAD_LETTER_EXCHANGE = "guichet.dlx"
RETRY_COUNT_HEADER = "x-retry-count"  # the handler's failures so far
OUTAGE_COUNT_HEADER = "x-guichet-outages"  # tries the infrastructure was away for
ERROR_HEADER = "x-guichet-error"
ORIGINAL_QUEUE_HEADER = "x-guichet-queue"
PARKED_AT_HEADER = "x-guichet-parked-at"
GUICHET_HEADERS = (
    RETRY_COUNT_HEADER,
    OUTAGE_COUNT_HEADER,
    ERROR_HEADER,
    ORIGINAL_QUEUE_HEADER,
    PARKED_AT_HEADER,
)
DELIVERY_LIMIT = 50  # a crash loop's backstop; returns on reconnect count too on RabbitMQ 4.x
UNROUTED_MAX_LENGTH = 100_000


async def declare_base_topology(channel: AbstractChannel) -> AbstractExchange:
    unrouted = await channel.declare_exchange(
        UNROUTED_EXCHANGE, aio_pika.ExchangeType.FANOUT, durable=True
    )
    # Bounded: event types nobody subscribes to must not fill the broker's disk.
    unrouted_queue = await channel.declare_queue(
        UNROUTED_EXCHANGE,
        durable=True,
        arguments={"x-queue-type": "quorum", "x-max-length": UNROUTED_MAX_LENGTH},
    )
    await unrouted_queue.bind(unrouted)
    await channel.declare_exchange(DEAD_LETTER_EXCHANGE, aio_pika.ExchangeType.DIRECT, durable=True)
    return await channel.declare_exchange(
        EVENTS_EXCHANGE,
        aio_pika.ExchangeType.TOPIC,
        durable=True,
        arguments={"alternate-exchange": UNROUTED_EXCHANGE},
    )


async def declare_consumer_queue(channel: AbstractChannel, spec: QueueSpec) -> AbstractQueue:
    events = await declare_base_topology(channel)
    dlx = await channel.get_exchange(DEAD_LETTER_EXCHANGE)
    # Classic, not quorum: on RabbitMQ 4.x a quorum queue counts every return of a message
    # (e.g. `guichet dlq list` peeking) toward a delivery limit and drops it after 20.
    dlq = await channel.declare_queue(spec.dlq, durable=True, arguments={"x-queue-type": "classic"})
    await dlq.bind(dlx, routing_key=spec.dlq)
    queue = await channel.declare_queue(
        spec.name,
        durable=True,
        arguments={
            "x-queue-type": "quorum",
            "x-dead-letter-exchange": DEAD_LETTER_EXCHANGE,
            "x-dead-letter-routing-key": spec.dlq,
            "x-delivery-limit": DELIVERY_LIMIT,
        },
    )
    for pattern in spec.patterns:
        await queue.bind(events, routing_key=pattern)
    return queue


async def declare_queues(amqp_url: str, specs: Sequence[QueueSpec]) -> None:
    """Declare the exchange and every consumer queue with its bindings, e.g. at deploy time,
    so events published before a consumer first starts wait in its queue."""
    connection = await aio_pika.connect(amqp_url)
    async with connection:
        channel = await connection.channel()
        for spec in specs:
            await declare_consumer_queue(channel, spec)


def _delay_name(delay: float) -> str:
    return f"guichet.retry.{round(delay * 1000)}ms"


async def declare_delay(channel: AbstractChannel, delay: float) -> AbstractExchange:
    name = _delay_name(delay)
    exchange = await channel.declare_exchange(name, aio_pika.ExchangeType.FANOUT, durable=True)
    queue = await channel.declare_queue(
        name,
        durable=True,
        arguments={"x-message-ttl": round(delay * 1000), "x-dead-letter-exchange": ""},
    )
    await queue.bind(exchange)
    return exchange


def copy_message(
    message: AbstractIncomingMessage,
    set_headers: dict[str, Any] | None = None,
    drop_headers: tuple[str, ...] = (),
) -> aio_pika.Message:
    """The same message, persistent, to publish again; the broker's own death log dropped."""
    headers = {
        k: v
        for k, v in (message.headers or {}).items()
        if k not in {"x-death", "x-delivery-count", *drop_headers}
    }
    headers.update(set_headers or {})
    return aio_pika.Message(
        body=message.body,
        content_type=message.content_type,
        delivery_mode=aio_pika.DeliveryMode.PERSISTENT,
        message_id=message.message_id,
        correlation_id=message.correlation_id,
        type=message.type,
        app_id=message.app_id,
        timestamp=message.timestamp,
        headers=headers,
    )
