"""Unit tests of the dispatch rules and the in-process bus (no broker involved)."""

from __future__ import annotations

import asyncio

import pytest

from guichet_common.events import Envelope, build_envelope
from guichet_common.messaging.bus import OutgoingMessage, QueueSpec
from guichet_common.messaging.dispatch import (
    Ack,
    Park,
    PermanentError,
    Retry,
    dispatch,
    topic_matches,
)
from guichet_common.messaging.inprocess import InProcessBus
from guichet_common.testing.bus import ThingHappenedV1, wait_for


@pytest.mark.parametrize(
    ("pattern", "key", "expected"),
    [
        ("garage.request.submitted.v1", "garage.request.submitted.v1", True),
        ("garage.*.submitted.v1", "garage.request.submitted.v1", True),
        ("garage.#", "garage.request.submitted.v1", True),
        ("#", "a.b", True),
        ("garage.#.v1", "garage.v1", True),
        ("garage.*", "garage.request.submitted.v1", False),
        ("imaging.#", "garage.request.submitted.v1", False),
        ("*.request.#", "garage.quote.issued.v1", False),
    ],
)
def test_topic_matching_follows_amqp(pattern: str, key: str, expected: bool) -> None:
    assert topic_matches(pattern, key) is expected


def _body(n: int = 1) -> bytes:
    return build_envelope(service="testsvc", event=ThingHappenedV1(n=n)).to_json()


async def _ok(_envelope: Envelope) -> None:
    return None


async def _boom(_envelope: Envelope) -> None:
    raise RuntimeError("boom")


async def _permanent(_envelope: Envelope) -> None:
    raise PermanentError("cannot ever work")


async def test_dispatch_outcomes() -> None:
    delays = (1.0, 10.0)
    assert await dispatch(_body(), 0, _ok, delays, "q") == Ack()
    assert await dispatch(_body(), 0, _boom, delays, "q") == Retry(1.0, "RuntimeError: boom")
    assert await dispatch(_body(), 1, _boom, delays, "q") == Retry(10.0, "RuntimeError: boom")
    parked = await dispatch(_body(), 2, _boom, delays, "q")
    assert isinstance(parked, Park) and "failed after 3 attempts" in parked.error
    assert await dispatch(_body(), 0, _permanent, delays, "q") == Park("cannot ever work")
    malformed = await dispatch(b"not json", 0, _ok, delays, "q")
    assert isinstance(malformed, Park) and malformed.error.startswith("malformed envelope")


async def test_in_process_bus_routes_retries_parks_and_replays() -> None:
    bus = InProcessBus()
    seen: list[int] = []
    fail = True

    async def handler(envelope: Envelope) -> None:
        seen.append(envelope.data["n"])
        if fail:
            raise RuntimeError("down")

    await bus.consume(QueueSpec("svc.group", ("testsvc.#",), prefetch=2), handler, (0.05, 0.05))
    await bus.publish_batch(
        [
            OutgoingMessage("testsvc.thing.happened.v1", _body(7), "m1"),
            OutgoingMessage("other.thing.happened.v1", _body(8), "m2"),
        ]
    )

    async def parked() -> bool:
        return len(bus.parked["svc.group"]) == 1

    await wait_for(parked, timeout=5)
    assert seen == [7, 7, 7]
    assert "failed after 3 attempts" in bus.parked["svc.group"][0].error
    assert len(bus.unrouted) == 1

    fail = False
    assert bus.replay("svc.group") == 1
    await bus.drain()
    assert seen == [7, 7, 7, 7]
    assert bus.parked["svc.group"] == []
    await bus.close()
    with pytest.raises(RuntimeError):
        await bus.publish_batch([OutgoingMessage("testsvc.thing.happened.v1", _body(), "m3")])


async def test_in_process_bus_close_drains_in_flight_messages() -> None:
    bus = InProcessBus()
    done: list[int] = []

    async def slow(envelope: Envelope) -> None:
        await asyncio.sleep(0.2)
        done.append(envelope.data["n"])

    await bus.consume(QueueSpec("svc.slow", ("testsvc.#",), prefetch=1), slow, ())
    await bus.publish_batch(
        [OutgoingMessage("testsvc.thing.happened.v1", _body(i), f"m{i}") for i in range(3)]
    )
    await bus.close()
    assert done == [0, 1, 2]


async def test_infrastructure_errors_retry_without_using_the_budget() -> None:
    from sqlalchemy.exc import OperationalError

    async def database_down(_envelope: Envelope) -> None:
        raise OperationalError("SELECT 1", {}, ConnectionRefusedError("connection refused"))

    async def network_down(_envelope: Envelope) -> None:
        raise ConnectionResetError("reset by peer")

    delays = (1.0, 10.0)
    for handler in (database_down, network_down):
        for attempts_so_far in (0, 2, 50):
            outcome = await dispatch(_body(), attempts_so_far, handler, delays, "q")
            assert isinstance(outcome, Retry) and outcome.counted is False
            assert outcome.delay == 10.0


async def test_in_process_bus_hands_back_everything_it_still_owed() -> None:
    bus = InProcessBus()
    gate = asyncio.Event()

    async def handler(envelope: Envelope) -> None:
        n = envelope.data["n"]
        if n == 1:
            raise RuntimeError("fails once, retried in an hour")
        if n == 2:
            raise PermanentError("parked")
        if n == 3:
            await gate.wait()  # interrupted mid-handler by the stop

    await bus.consume(QueueSpec("svc.a", ("testsvc.#",), prefetch=1), handler, (3600.0,))
    await bus.publish_batch(
        [OutgoingMessage("testsvc.thing.happened.v1", _body(n), f"m{n}") for n in (1, 2, 3, 4)]
    )

    async def stuck_on_three() -> bool:
        return len(bus.parked["svc.a"]) == 1 and len(bus._delayed) == 1

    await wait_for(stuck_on_three)
    pending = await bus.shutdown(drain_timeout=0.1)
    by_n = {Envelope.model_validate_json(m.body).data["n"]: m for m in pending}
    assert set(by_n) == {1, 2, 3, 4}
    assert by_n[1].retry_count == 1 and by_n[1].parked is None  # waiting for its retry
    assert by_n[2].parked is not None and by_n[2].parked.error == "parked"
    assert by_n[3].retry_count == 0 and by_n[4].retry_count == 0  # interrupted, queued

    saved = [type(m).from_json(m.to_json()) for m in pending]
    assert saved == pending

    handled: list[int] = []

    async def fixed(envelope: Envelope) -> None:
        handled.append(envelope.data["n"])

    again = InProcessBus()
    await again.consume(QueueSpec("svc.a", ("testsvc.#",), prefetch=1), fixed, (3600.0,))
    again.restore(saved)
    await again.drain()
    assert sorted(handled) == [1, 3, 4]
    assert [p.error for p in again.parked["svc.a"]] == ["parked"]
    await again.close()
