"""Unit tests of the dispatch rules and the in-process bus (no broker involved)."""

from __future__ import annotations

import asyncio

import pytest

from guichet_common.events import Envelope, build_envelope
from guichet_common.messaging.bus import OutgoingMessage, QueueSpec, RetryPolicy
from guichet_common.messaging.dispatch import (
    Ack,
    Attempts,
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


POLICY = RetryPolicy((1.0, 10.0), outage_delay=10.0, outage_limit=3)


async def test_dispatch_outcomes() -> None:
    first, second, third = Attempts(0), Attempts(1), Attempts(2)
    assert await dispatch(_body(), first, _ok, POLICY, "q") == Ack()
    boom = "RuntimeError: boom"
    assert await dispatch(_body(), first, _boom, POLICY, "q") == Retry(1.0, boom, second)
    assert await dispatch(_body(), second, _boom, POLICY, "q") == Retry(10.0, boom, third)
    parked = await dispatch(_body(), third, _boom, POLICY, "q")
    assert isinstance(parked, Park) and "failed after 3 attempts" in parked.error
    assert await dispatch(_body(), first, _permanent, POLICY, "q") == Park("cannot ever work")
    malformed = await dispatch(b"not json", first, _ok, POLICY, "q")
    assert isinstance(malformed, Park) and malformed.error.startswith("malformed envelope")


async def test_in_process_bus_routes_retries_parks_and_replays() -> None:
    bus = InProcessBus()
    seen: list[int] = []
    fail = True

    async def handler(envelope: Envelope) -> None:
        seen.append(envelope.data["n"])
        if fail:
            raise RuntimeError("down")

    await bus.consume(
        QueueSpec("svc.group", ("testsvc.#",), prefetch=2), handler, RetryPolicy((0.05, 0.05))
    )
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

    await bus.consume(QueueSpec("svc.slow", ("testsvc.#",), prefetch=1), slow, RetryPolicy(()))
    await bus.publish_batch(
        [OutgoingMessage("testsvc.thing.happened.v1", _body(i), f"m{i}") for i in range(3)]
    )
    await bus.close()
    assert done == [0, 1, 2]


async def test_an_outage_of_the_database_retries_apart_from_the_budget_and_is_bounded() -> None:
    from sqlalchemy.exc import OperationalError

    async def database_down(_envelope: Envelope) -> None:
        raise OperationalError("SELECT 1", {}, ConnectionRefusedError("connection refused"))

    async def link_cut(_envelope: Envelope) -> None:
        raise ConnectionResetError("reset by peer")

    for handler in (database_down, link_cut):
        for outages in range(POLICY.outage_limit):
            outcome = await dispatch(_body(), Attempts(1, outages), handler, POLICY, "q")
            assert isinstance(outcome, Retry) and outcome.delay == POLICY.outage_delay
            assert outcome.attempts == Attempts(1, outages + 1), "the handler's budget is kept"
        parked = await dispatch(_body(), Attempts(1, POLICY.outage_limit), handler, POLICY, "q")
        assert isinstance(parked, Park)
        assert parked.error.startswith("infrastructure unavailable for 4 attempts")


async def test_the_handlers_own_os_errors_count_against_its_retries() -> None:
    """A FileNotFoundError or a TimeoutError of the handler is a bug or a slow call of its
    own, not an outage: it uses the retries, then the message is parked."""

    async def missing_template(_envelope: Envelope) -> None:
        raise FileNotFoundError("templates/garage_x.txt.j2")

    async def slow(_envelope: Envelope) -> None:
        raise TimeoutError("took too long")

    for handler in (missing_template, slow):
        retried = await dispatch(_body(), Attempts(0, 0), handler, POLICY, "q")
        assert isinstance(retried, Retry) and retried.attempts == Attempts(1, 0)
        parked = await dispatch(_body(), Attempts(2, 0), handler, POLICY, "q")
        assert isinstance(parked, Park) and parked.error.startswith("failed after 3 attempts")


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

    await bus.consume(
        QueueSpec("svc.a", ("testsvc.#",), prefetch=1), handler, RetryPolicy((3600.0,))
    )
    await bus.publish_batch(
        [OutgoingMessage("testsvc.thing.happened.v1", _body(n), f"m{n}") for n in (1, 2, 3, 4)]
    )

    async def stuck_on_three() -> bool:
        return len(bus.parked["svc.a"]) == 1 and len(bus._delayed) == 1

    await wait_for(stuck_on_three)
    pending = await bus.shutdown(drain_timeout=0.1)
    by_n = {Envelope.model_validate_json(m.body).data["n"]: m for m in pending}
    assert set(by_n) == {1, 2, 3, 4}
    assert by_n[1].attempts == Attempts(1) and by_n[1].parked is None  # waiting for its retry
    assert by_n[2].parked is not None and by_n[2].parked.error == "parked"
    assert by_n[3].attempts == by_n[4].attempts == Attempts()  # interrupted, queued

    saved = [type(m).from_json(m.to_json()) for m in pending]
    assert saved == pending

    handled: list[int] = []

    async def fixed(envelope: Envelope) -> None:
        handled.append(envelope.data["n"])

    again = InProcessBus()
    await again.consume(
        QueueSpec("svc.a", ("testsvc.#",), prefetch=1), fixed, RetryPolicy((3600.0,))
    )
    again.restore(saved)
    await again.drain()
    assert sorted(handled) == [1, 3, 4]
    assert [p.error for p in again.parked["svc.a"]] == ["parked"]
    await again.close()
