"""The in-process bus of `guichet up`: the same contract as RabbitMQ, in memory."""

from __future__ import annotations

import asyncio
import base64
import contextlib
import json
from collections import defaultdict, deque
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime

from guichet_common.messaging.bus import (
    EnvelopeHandler,
    OutgoingMessage,
    QueueSpec,
    Refusal,
    RetryPolicy,
)
from guichet_common.messaging.dispatch import (
    MESSAGES_HANDLED,
    Attempts,
    Park,
    Retry,
    dispatch,
    topic_matches,
)


@dataclass
class ParkedMessage:
    body: bytes
    error: str
    parked_at: str


@dataclass(frozen=True)
class PendingMessage:
    """A message the in-process bus still owed a consumer when it stopped."""

    queue: str
    body: bytes
    attempts: Attempts = field(default_factory=Attempts)
    parked: ParkedMessage | None = None

    def to_json(self) -> str:
        return json.dumps(
            {
                "queue": self.queue,
                "body": base64.b64encode(self.body).decode(),
                "retry_count": self.attempts.failures,
                "outages": self.attempts.outages,
                "parked": None
                if self.parked is None
                else {"error": self.parked.error, "parked_at": self.parked.parked_at},
            }
        )

    @classmethod
    def from_json(cls, line: str) -> PendingMessage:
        raw = json.loads(line)
        body = base64.b64decode(raw["body"])
        parked = raw.get("parked")
        return cls(
            raw["queue"],
            body,
            Attempts(raw["retry_count"], raw.get("outages", 0)),  # older files have none
            None if parked is None else ParkedMessage(body, **parked),
        )


class InProcessBus:
    """The same contract in memory, for the single-process embedded default.

    Nothing is lost across a graceful stop: `shutdown()` returns what is still queued, waiting
    for a retry, interrupted mid-handler or parked, and `restore()` takes it back on the next
    start (the runner keeps them in the data directory). After a crash the runner re-publishes
    the outbox rows relayed since the crashed run started; inboxes drop what was handled.
    """

    def __init__(self) -> None:
        self._queues: dict[str, tuple[QueueSpec, asyncio.Queue[tuple[bytes, Attempts]]]] = {}
        self._workers: list[asyncio.Task[None]] = []
        self._delayed: dict[asyncio.TimerHandle, PendingMessage] = {}
        self._interrupted: list[PendingMessage] = []
        self.unrouted: deque[bytes] = deque(maxlen=10_000)
        self.parked: dict[str, list[ParkedMessage]] = defaultdict(list)
        self._closed = False

    async def publish_batch(self, messages: Sequence[OutgoingMessage]) -> list[Refusal]:
        if self._closed:
            raise RuntimeError("bus closed")
        for m in messages:
            routed = False
            for spec, queue in self._queues.values():
                if any(topic_matches(p, m.routing_key) for p in spec.patterns):
                    queue.put_nowait((m.body, Attempts()))
                    routed = True
            if not routed:
                self.unrouted.append(m.body)
        return [None] * len(messages)  # unbounded queues refuse nothing

    async def consume(self, spec: QueueSpec, handler: EnvelopeHandler, policy: RetryPolicy) -> None:
        queue: asyncio.Queue[tuple[bytes, Attempts]] = asyncio.Queue()
        self._queues[spec.name] = (spec, queue)
        for _ in range(max(1, spec.prefetch)):
            self._workers.append(asyncio.create_task(self._work(spec, queue, handler, policy)))

    async def _work(
        self,
        spec: QueueSpec,
        queue: asyncio.Queue[tuple[bytes, Attempts]],
        handler: EnvelopeHandler,
        policy: RetryPolicy,
    ) -> None:
        while True:
            body, attempts = await queue.get()
            try:
                outcome = await dispatch(body, attempts, handler, policy, spec.name)
            except asyncio.CancelledError:
                self._interrupted.append(PendingMessage(spec.name, body, attempts))
                raise
            finally:
                queue.task_done()
            if isinstance(outcome, Retry):
                self._retry_later(outcome.delay, PendingMessage(spec.name, body, outcome.attempts))
            elif isinstance(outcome, Park):
                self.parked[spec.name].append(
                    ParkedMessage(body, outcome.error, datetime.now(UTC).isoformat())
                )
            MESSAGES_HANDLED.labels(spec.name, type(outcome).__name__.lower()).inc()

    def _retry_later(self, delay: float, message: PendingMessage) -> None:
        def fire() -> None:
            del self._delayed[timer]
            self._enqueue(message)

        timer = asyncio.get_running_loop().call_later(delay, fire)
        self._delayed[timer] = message

    def _enqueue(self, message: PendingMessage) -> None:
        if message.queue in self._queues:
            self._queues[message.queue][1].put_nowait((message.body, message.attempts))
        else:
            self.unrouted.append(message.body)  # its consumer is gone

    def replay(self, queue_name: str, limit: int | None = None) -> int:
        parked = self.parked[queue_name][:limit]
        del self.parked[queue_name][: len(parked)]
        for message in parked:
            self._enqueue(PendingMessage(queue_name, message.body))
        return len(parked)

    def restore(self, pending: Sequence[PendingMessage]) -> None:
        """Take back what a previous `shutdown()` returned (after `consume` declared queues)."""
        for message in pending:
            if message.parked is not None:
                self.parked[message.queue].append(message.parked)
            else:
                self._enqueue(message)

    async def drain(self, timeout: float = 10.0) -> None:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(
                asyncio.gather(*(q.join() for _, q in self._queues.values())), timeout
            )

    async def ready(self) -> bool:
        return not self._closed

    async def close(self) -> None:
        await self.shutdown()

    async def shutdown(self, drain_timeout: float = 10.0) -> list[PendingMessage]:
        """Stop; return every message not yet handled, for `restore()` on the next start."""
        self._closed = True
        await self.drain(drain_timeout)
        for worker in self._workers:
            worker.cancel()
        await asyncio.gather(*self._workers, return_exceptions=True)
        self._workers.clear()
        pending = list(self._interrupted)
        for timer, message in self._delayed.items():
            timer.cancel()
            pending.append(message)
        self._delayed.clear()
        for name, (_, queue) in self._queues.items():
            while not queue.empty():
                body, attempts = queue.get_nowait()
                pending.append(PendingMessage(name, body, attempts))
        for name, parked in self.parked.items():
            pending.extend(PendingMessage(name, m.body, parked=m) for m in parked)
        return pending
