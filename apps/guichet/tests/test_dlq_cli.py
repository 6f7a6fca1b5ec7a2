"""A handler that always fails: retried on the delay schedule, parked with its error, then
brought back by `guichet dlq replay` to a fixed handler."""

from __future__ import annotations

import asyncio
import itertools
import os
import subprocess
import sys

import pytest

from guichet_common.dlq import inspect
from guichet_common.inbox import InboxHandler, Subscription
from guichet_common.messaging.bus import RetryPolicy
from guichet_common.messaging.rabbitmq import RabbitBus
from guichet_common.outbox import OutboxRelay
from guichet_common.testing.bus import BusSchema, ThingHappenedV1, wait_for

pytestmark = pytest.mark.integration

DELAYS = (0.5, 1.5)


def run_guichet(*args: str, amqp_url: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "guichet", *args],
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, "GUICHET_AMQP_URL": amqp_url},
    )


def guichet(*args: str, amqp_url: str) -> str:
    result = run_guichet(*args, amqp_url=amqp_url)
    assert result.returncode == 0, result.stderr
    return result.stdout


def test_an_unknown_queue_is_an_error_not_zero_parked(amqp_url: str) -> None:
    for command in (["list", "--queue", "notifier.garage"], ["replay", "notifier.garage"]):
        result = run_guichet("dlq", *command, amqp_url=amqp_url)
        assert result.returncode == 1, result.stdout
        assert "no consumer queue notifier.garage" in result.stderr


async def test_failing_handler_is_retried_parked_and_replayed(
    bus_schema: BusSchema, amqp_url: str, consumer_group: str
) -> None:
    loop = asyncio.get_running_loop()
    attempts: list[float] = []
    broken = Subscription(consumer_group)

    @broken.on(ThingHappenedV1)
    async def always_fails(_session, _event, _envelope):  # type: ignore[no-untyped-def]
        attempts.append(loop.time())
        raise RuntimeError("SMTP server unreachable")

    queue = f"testsvc.{consumer_group}"
    spec = broken.queue_spec("testsvc")
    failing_bus = RabbitBus(amqp_url, name="failing")
    await failing_bus.consume(
        spec,
        InboxHandler(queue, broken, bus_schema.session_factory, bus_schema.tables),
        RetryPolicy(DELAYS),
    )
    [event] = await bus_schema.publish_committed(1)
    await OutboxRelay(bus_schema.engine, bus_schema.tables, failing_bus).drain()

    async def parked() -> bool:
        [dlq] = await inspect(amqp_url, [queue])
        return dlq.depth == 1

    await wait_for(parked, timeout=20)
    await failing_bus.close()
    assert len(attempts) == 1 + len(DELAYS)
    gaps = [b - a for a, b in itertools.pairwise(attempts)]
    for gap, delay in zip(gaps, DELAYS, strict=True):
        assert delay <= gap < delay + 2.0, f"retry gaps {gaps} do not follow {DELAYS}"
    assert await bus_schema.effects() == {}

    listing = await asyncio.to_thread(guichet, "dlq", "list", "--queue", queue, amqp_url=amqp_url)
    assert f"{queue}.dlq  1 parked" in listing
    assert str(event.id) in listing
    assert "failed after 3 attempts: RuntimeError: SMTP server unreachable" in listing

    fixed = Subscription(consumer_group)

    @fixed.on(ThingHappenedV1)
    async def works(session, _event, envelope):  # type: ignore[no-untyped-def]
        await bus_schema.record_effect(session, envelope, "fixed")

    fixed_bus = RabbitBus(amqp_url, name="fixed")
    try:
        await fixed_bus.consume(
            spec,
            InboxHandler(queue, fixed, bus_schema.session_factory, bus_schema.tables),
            RetryPolicy(DELAYS),
        )
        out = await asyncio.to_thread(guichet, "dlq", "replay", queue, amqp_url=amqp_url)
        assert f"replayed 1 message(s) to {queue}" in out

        async def handled() -> bool:
            return await bus_schema.effects() == {event.id: 1}

        await wait_for(handled, timeout=10)
        [dlq] = await inspect(amqp_url, [queue])
        assert dlq.depth == 0
    finally:
        await fixed_bus.close()
