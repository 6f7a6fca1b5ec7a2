"""Inspect and replay parked messages (`<queue>.dlq`) on RabbitMQ."""

from __future__ import annotations

import json
from dataclasses import dataclass

import aio_pika
from aio_pika.abc import AbstractChannel, AbstractQueue

from guichet_common.messaging.inprocess import InProcessBus
from guichet_common.messaging.topology import (
    ERROR_HEADER,
    GUICHET_HEADERS,
    PARKED_AT_HEADER,
    copy_message,
)


class UnknownQueue(LookupError):
    """The broker has no such consumer queue (or its `.dlq`)."""


@dataclass(frozen=True)
class ParkedSummary:
    event_id: str | None
    event_type: str | None
    error: str
    parked_at: str | None


@dataclass(frozen=True)
class DeadLetterQueue:
    queue: str
    depth: int
    sample: list[ParkedSummary]


def _envelope_id_and_type(body: bytes) -> tuple[str | None, str | None]:
    """What a parked body says it is; a malformed one (often why it was parked) says nothing."""
    try:
        envelope = json.loads(body)
    except ValueError:
        return None, None
    if not isinstance(envelope, dict):
        return None, None
    return envelope.get("id"), envelope.get("type")


def inspect_in_process(
    bus: InProcessBus, queues: list[str], *, sample: int = 20
) -> list[DeadLetterQueue]:
    """The same view of the embedded default's in-process bus."""
    return [
        DeadLetterQueue(
            name,
            len(bus.parked[name]),
            [
                ParkedSummary(*_envelope_id_and_type(m.body), m.error, m.parked_at)
                for m in bus.parked[name][:sample]
            ],
        )
        for name in queues
    ]


def _summary(message: aio_pika.abc.AbstractIncomingMessage) -> ParkedSummary:
    headers = message.headers or {}
    error = headers.get(ERROR_HEADER)
    if error is None and "x-death" in headers:
        error = "dead-lettered by the broker (delivery limit reached: a crash loop?)"
    _, event_type = _envelope_id_and_type(message.body)
    return ParkedSummary(
        event_id=message.message_id,
        event_type=event_type or message.type,
        error=str(error or "unknown"),
        parked_at=str(headers[PARKED_AT_HEADER]) if PARKED_AT_HEADER in headers else None,
    )


async def _existing_dlq(channel: AbstractChannel, queue: str) -> AbstractQueue:
    try:
        return await channel.declare_queue(f"{queue}.dlq", passive=True)
    except aio_pika.exceptions.ChannelClosed as exc:
        raise UnknownQueue(
            f"the broker has no consumer queue {queue} "
            "(its worker or `guichet migrate` declares it)"
        ) from exc


async def inspect(amqp_url: str, queues: list[str], *, sample: int = 20) -> list[DeadLetterQueue]:
    """Depth and the first messages of each `<queue>.dlq`, left in place."""
    results = []
    connection = await aio_pika.connect(amqp_url)
    async with connection:
        for queue_name in queues:
            channel = await connection.channel()
            dlq = await _existing_dlq(channel, queue_name)
            depth = dlq.declaration_result.message_count or 0
            seen = []
            for _ in range(min(sample, depth)):
                message = await dlq.get(no_ack=False, fail=False)
                if message is None:
                    break
                seen.append(_summary(message))
            # Closing the channel returns the unacked samples to the queue, in order.
            await channel.close()
            results.append(DeadLetterQueue(queue_name, depth, seen))
    return results


async def replay(amqp_url: str, queue: str, *, limit: int | None = None) -> int:
    """Move parked messages back to `queue` with a fresh retry budget. Each is republished
    with a confirm before it is acked: a crash in between duplicates, never loses."""
    connection = await aio_pika.connect(amqp_url)
    moved = 0
    async with connection:
        channel = await connection.channel(publisher_confirms=True)
        dlq = await _existing_dlq(channel, queue)
        budget = dlq.declaration_result.message_count or 0
        if limit is not None:
            budget = min(budget, limit)
        while moved < budget:
            message = await dlq.get(no_ack=False, fail=False)
            if message is None:
                break
            await channel.default_exchange.publish(
                copy_message(message, drop_headers=GUICHET_HEADERS),
                routing_key=queue,
            )
            await message.ack()
            moved += 1
    return moved
