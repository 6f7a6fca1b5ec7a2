"""Event bus benchmark: outbox -> RabbitMQ -> consumer with inbox, beside raw aio-pika.

Both run in the same process layout, in the same run, against the same broker:
- baseline: raw aio-pika, publish with confirms (a window of in-flight publishes) and a
  consumer that acks; figures: messages/s and publish->consume latency.
- guichet: a writer commits events to the outbox (one transaction per batch), the relay
  (woken by NOTIFY) publishes with confirms and marks rows, a consumer runs each event in
  its own transaction with the inbox row and one effect row, then acks.
Throughput is measured flat out; latency (commit -> handled) at a fixed offered rate.
The consumer side runs in a second process (as a worker would), so both cores are used;
the baseline gets the same split. Prints one JSON line last.

usage: python bench/bus.py [--quick] [--events N] [--rate R] [--seconds S]
env: GUICHET_TEST_DATABASE_URL, GUICHET_TEST_AMQP_URL (defaults: local services)
"""

from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing as mp
import os
import signal
import statistics
import time
import uuid
from typing import Any

import aio_pika
import uvloop
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import create_async_engine

from guichet_common.events import Envelope
from guichet_common.inbox import InboxHandler, Subscription
from guichet_common.messaging.bus import RetryPolicy
from guichet_common.messaging.rabbitmq import RabbitBus
from guichet_common.outbox import OutboxRelay
from guichet_common.settings import asyncpg_url
from guichet_common.testing.bus import ThingHappenedV1, create_bus_schema

DATABASE_URL = asyncpg_url(
    os.environ.get("GUICHET_TEST_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
)
AMQP_URL = os.environ.get("GUICHET_TEST_AMQP_URL", "amqp://guest:guest@127.0.0.1:5672/")


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


# --- consumer processes (the worker side) -------------------------------------------------


def raw_consumer_process(queue: str, expected: int, ready: Any, out: Any) -> None:
    async def main() -> None:
        connection = await aio_pika.connect(AMQP_URL)
        received: dict[str, float] = {}
        arrivals = 0
        done = asyncio.Event()
        async with connection:
            channel = await connection.channel()
            await channel.set_qos(prefetch_count=64)
            q = await channel.declare_queue(
                queue, durable=True, arguments={"x-queue-type": "quorum"}
            )

            async def on_message(message: aio_pika.abc.AbstractIncomingMessage) -> None:
                nonlocal arrivals
                await message.ack()
                arrivals += 1
                received[str(message.message_id)] = time.time()
                if len(received) >= expected:
                    done.set()

            await q.consume(on_message)
            ready.set()
            await done.wait()
            await asyncio.sleep(0.5)  # a duplicate would arrive now
        out.put((received, arrivals))

    uvloop.run(main())


def guichet_consumer_process(schema: str, group: str, expected: int, ready: Any, out: Any) -> None:
    async def main() -> None:
        bus_schema = await create_bus_schema(
            create_async_engine(DATABASE_URL, pool_size=20), schema
        )
        subscription = Subscription(group)

        @subscription.on(ThingHappenedV1)
        async def handle(session, _event, envelope):  # type: ignore[no-untyped-def]
            await bus_schema.record_effect(session, envelope, group)

        spec = subscription.queue_spec("bench", prefetch=64)
        inbox = InboxHandler(spec.name, subscription, bus_schema.session_factory, bus_schema.tables)
        handled: dict[str, float] = {}
        done = asyncio.Event()

        class Timed:
            """The inbox handler, noting when each event's transaction committed."""

            async def __call__(self, envelope: Envelope) -> None:
                await self.handle_batch([envelope])

            async def handle_batch(self, envelopes: list[Envelope]) -> None:
                await inbox.handle_batch(envelopes)
                now = time.time()
                handled.update((str(e.id), now) for e in envelopes)
                if len(handled) >= expected:
                    done.set()

        bus = RabbitBus(AMQP_URL, name="bench-consumer")
        await bus.consume(spec, Timed(), RetryPolicy((1.0,)))
        ready.set()
        await done.wait()
        await asyncio.sleep(0.5)
        await bus.close()
        effects = sum((await bus_schema.effects()).values())  # one row per handling
        await bus_schema.engine.dispose()
        out.put((handled, effects))

    uvloop.run(main())


# --- the two pipelines ---------------------------------------------------------------------


async def raw_run(events: int, rate: float | None) -> dict[str, float]:
    queue = f"bench.raw{uuid.uuid4().hex[:8]}"
    ctx = mp.get_context("spawn")
    ready, out = ctx.Event(), ctx.Queue()
    connection = await aio_pika.connect(AMQP_URL)
    async with connection:
        channel = await connection.channel(publisher_confirms=True)
        await channel.declare_queue(queue, durable=True, arguments={"x-queue-type": "quorum"})
        consumer = ctx.Process(target=raw_consumer_process, args=(queue, events, ready, out))
        consumer.start()
        await asyncio.to_thread(ready.wait)
        sent: dict[str, float] = {}
        window = asyncio.Semaphore(256)

        async def publish(i: int) -> None:
            async with window:
                mid = f"m{i}"
                sent[mid] = time.time()
                await channel.default_exchange.publish(
                    aio_pika.Message(
                        b'{"n": %d}' % i,
                        message_id=mid,
                        delivery_mode=aio_pika.DeliveryMode.PERSISTENT,
                    ),
                    routing_key=queue,
                )

        tasks = await offer(events, rate, lambda batch: [publish(i) for i in batch])
        await asyncio.gather(*tasks)
        received = await asyncio.to_thread(out.get)
        consumer.join()
        await channel.queue_delete(queue)
    return summarise(sent, received)


async def guichet_run(events: int, rate: float | None) -> dict[str, float]:
    engine = create_async_engine(DATABASE_URL, pool_size=10)
    schema = f"bench_{uuid.uuid4().hex[:8]}"
    bus_schema = await create_bus_schema(engine, schema)
    group = f"g{uuid.uuid4().hex[:8]}"
    ctx = mp.get_context("spawn")
    ready, out = ctx.Event(), ctx.Queue()
    consumer = ctx.Process(
        target=guichet_consumer_process, args=(schema, group, events, ready, out)
    )
    consumer.start()
    await asyncio.to_thread(ready.wait)
    bus = RabbitBus(AMQP_URL, name="bench-relay")
    relay = OutboxRelay(engine, bus_schema.tables, bus)  # production defaults
    await relay.start()
    committed: dict[str, float] = {}
    try:

        async def commit_batch(batch: list[int]) -> None:
            async with bus_schema.session_factory() as session, session.begin():
                envelopes = await bus_schema.outbox.publish_many(
                    session, [(ThingHappenedV1(n=i), None) for i in batch]
                )
            ids = [e.id for e in envelopes]
            now = time.time()
            committed.update((str(i), now) for i in ids)

        tasks = await offer(events, rate, lambda batch: [commit_batch(batch)])
        await asyncio.gather(*tasks)
        handled = await asyncio.to_thread(out.get)
        consumer.join()
    finally:
        await relay.stop()
        await bus.close()
        connection = await aio_pika.connect(AMQP_URL)
        async with connection:
            channel = await connection.channel()
            await channel.queue_delete(f"bench.{group}")
            await channel.queue_delete(f"bench.{group}.dlq")
        async with engine.begin() as conn:
            await conn.exec_driver_sql(f'DROP SCHEMA "{schema}" CASCADE')
        await engine.dispose()
    return summarise(committed, handled)


async def offer(events: int, rate: float | None, make: Any) -> list[asyncio.Task[None]]:
    """Flat out (batches of 100, a few in flight) or at `rate` events/s (a batch per 10 ms)."""
    tasks: list[asyncio.Task[None]] = []
    if rate is None:
        limiter = asyncio.Semaphore(4)

        async def bounded(coro: Any) -> None:
            async with limiter:
                await coro

        for start in range(0, events, 100):
            batch = list(range(start, min(events, start + 100)))
            tasks.extend(asyncio.create_task(bounded(c)) for c in make(batch))
        return tasks
    per_tick = max(1, round(rate / 100))
    started = time.perf_counter()
    for tick, start in enumerate(range(0, events, per_tick)):
        delay = started + tick * 0.01 - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        batch = list(range(start, min(events, start + per_tick)))
        tasks.extend(asyncio.create_task(c) for c in make(batch))
    return tasks


def summarise(started: dict[str, float], result: tuple[dict[str, float], int]) -> dict[str, float]:
    finished, count = result
    assert set(finished) == set(started), "every message must arrive"
    assert count == len(started), f"{count} handlings for {len(started)} messages"
    latencies = [(finished[k] - started[k]) * 1000 for k in started]
    span = max(finished.values()) - min(started.values())
    return {
        "per_s": round(len(started) / span, 1),
        "p50_ms": round(statistics.median(latencies), 2),
        "p99_ms": round(percentile(latencies, 99), 2),
    }


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small run, under a minute")
    parser.add_argument("--events", type=int, help="events per throughput run")
    parser.add_argument("--rate", type=float, default=500.0, help="offered rate for latency")
    parser.add_argument("--seconds", type=float, help="length of the latency run")
    args = parser.parse_args()
    events = args.events or (5_000 if args.quick else 30_000)
    seconds = args.seconds or (8 if args.quick else 30)
    paced = int(args.rate * seconds)

    raw = await raw_run(events, None)
    print(f"raw aio-pika    flat out: {raw}")
    guichet = await guichet_run(events, None)
    print(f"guichet outbox  flat out: {guichet}")
    raw_paced = await raw_run(paced, args.rate)
    print(f"raw aio-pika    at {args.rate:.0f}/s: {raw_paced}")
    guichet_paced = await guichet_run(paced, args.rate)
    print(f"guichet outbox  at {args.rate:.0f}/s: {guichet_paced}")
    print(
        json.dumps(
            {
                "bench": "bus",
                "events": events,
                "baseline_per_s": raw["per_s"],
                "guichet_per_s": guichet["per_s"],
                "ratio": round(guichet["per_s"] / raw["per_s"], 3),
                "rate": args.rate,
                "baseline_p50_ms_at_rate": raw_paced["p50_ms"],
                "baseline_p99_ms_at_rate": raw_paced["p99_ms"],
                "guichet_p50_ms_at_rate": guichet_paced["p50_ms"],
                "guichet_p99_ms_at_rate": guichet_paced["p99_ms"],
                "database": make_url(DATABASE_URL).render_as_string(hide_password=True),
            }
        )
    )


if __name__ == "__main__":
    # `timeout` and CI send SIGTERM: unwind like Ctrl-C so the broker queues are deleted
    # (a leftover queue bound to the bench's event type would double every later run's work).
    signal.signal(signal.SIGTERM, signal.default_int_handler)
    uvloop.run(main())  # as in production: uvicorn and the workers run on uvloop
