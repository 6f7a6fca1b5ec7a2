"""The event bus: RabbitMQ in production, an in-process twin for the embedded default.

Topology (RabbitMQ):
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

import asyncio
import base64
import contextlib
import json
import time
from collections import defaultdict, deque
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Protocol, runtime_checkable

import aio_pika
from aio_pika.abc import (
    AbstractChannel,
    AbstractExchange,
    AbstractIncomingMessage,
    AbstractQueue,
    AbstractRobustConnection,
)
from prometheus_client import Counter, Histogram
from pydantic import ValidationError
from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError

from guichet_common.events import Envelope
from guichet_common.logging import correlation_id_var, get_logger

log = get_logger(__name__)

EVENTS_EXCHANGE = "guichet.events"
UNROUTED_EXCHANGE = "guichet.unrouted"
DEAD_LETTER_EXCHANGE = "guichet.dlx"
RETRY_COUNT_HEADER = "x-retry-count"
ERROR_HEADER = "x-guichet-error"
ORIGINAL_QUEUE_HEADER = "x-guichet-queue"
PARKED_AT_HEADER = "x-guichet-parked-at"
DELIVERY_LIMIT = 50  # a crash loop's backstop; returns on reconnect count too on RabbitMQ 4.x
UNROUTED_MAX_LENGTH = 100_000

MESSAGES_HANDLED = Counter(
    "guichet_messages_total", "Messages consumed, by outcome", ["queue", "outcome"]
)
HANDLE_SECONDS = Histogram("guichet_message_handle_seconds", "Handler duration", ["queue"])


@dataclass(frozen=True)
class OutgoingMessage:
    routing_key: str
    body: bytes
    message_id: str
    correlation_id: str | None = None
    source: str | None = None
    timestamp: datetime | None = None
    headers: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class QueueSpec:
    name: str
    patterns: tuple[str, ...]
    prefetch: int = 32

    @property
    def dlq(self) -> str:
        return f"{self.name}.dlq"


class PermanentError(Exception):
    """The message can never succeed (malformed, unknown type, invalid payload): park it now."""


EnvelopeHandler = Callable[[Envelope], Awaitable[None]]


@runtime_checkable
class BatchHandler(Protocol):
    """A handler that can also take several envelopes in one transaction. Under load the
    RabbitMQ consumer hands it what has arrived; if the batch fails, every message is
    dispatched again on its own, so retries and parking stay per message."""

    async def __call__(self, envelope: Envelope) -> None: ...

    async def handle_batch(self, envelopes: Sequence[Envelope]) -> None: ...


@dataclass(frozen=True)
class Ack:
    pass


@dataclass(frozen=True)
class Retry:
    delay: float
    error: str
    counted: bool = True  # an infrastructure outage does not use up the handler's budget


@dataclass(frozen=True)
class Park:
    error: str


Outcome = Ack | Retry | Park


async def dispatch(
    body: bytes, retry_count: int, handler: EnvelopeHandler, delays: Sequence[float], queue: str
) -> Outcome:
    """Decide what becomes of one delivery. Shared by both buses so they behave alike."""
    try:
        envelope = Envelope.model_validate_json(body)
    except ValidationError as exc:
        return Park(f"malformed envelope: {_short(exc)}")
    token = correlation_id_var.set(envelope.correlationid)
    started = time.perf_counter()
    try:
        await handler(envelope)
    except PermanentError as exc:
        log.warning("message parked", queue=queue, event_id=str(envelope.id), error=str(exc))
        return Park(str(exc))
    except Exception as exc:
        error = f"{type(exc).__name__}: {exc}"
        if delays and is_transient(exc):
            log.warning(
                "infrastructure unavailable, will retry",
                queue=queue,
                event_id=str(envelope.id),
                error=error,
            )
            return Retry(delays[min(1, len(delays) - 1)], error, counted=False)
        if retry_count < len(delays):
            log.warning(
                "handler failed, will retry",
                queue=queue,
                event_id=str(envelope.id),
                attempt=retry_count + 1,
                error=error,
            )
            return Retry(delays[retry_count], error)
        log.error(
            "handler failed for good, parking",
            queue=queue,
            event_id=str(envelope.id),
            attempts=retry_count + 1,
            error=error,
        )
        return Park(f"failed after {retry_count + 1} attempts: {error}")
    finally:
        HANDLE_SECONDS.labels(queue).observe(time.perf_counter() - started)
        correlation_id_var.reset(token)
    return Ack()


def is_transient(exc: BaseException) -> bool:
    """The database or the network is away, not the handler that is wrong: retry as long as
    it takes, so a long outage does not park the whole backlog."""
    if isinstance(exc, OSError | TimeoutError):
        return True
    if isinstance(exc, DBAPIError):
        return exc.connection_invalidated or isinstance(exc, OperationalError | InterfaceError)
    return False


def _short(exc: Exception, limit: int = 500) -> str:
    return str(exc).replace("\n", " ")[:limit]


def topic_matches(pattern: str, routing_key: str) -> bool:
    """AMQP topic semantics: `*` is exactly one word, `#` zero or more words."""

    def match(p: list[str], k: list[str]) -> bool:
        if not p:
            return not k
        if p[0] == "#":
            return any(match(p[1:], k[i:]) for i in range(len(k) + 1))
        if not k:
            return False
        return (p[0] == "*" or p[0] == k[0]) and match(p[1:], k[1:])

    return match(pattern.split("."), routing_key.split("."))


class MessageBus(Protocol):
    async def publish_batch(self, messages: Sequence[OutgoingMessage]) -> None:
        """Publish every message or raise: success means the bus holds them all."""

    async def consume(
        self, spec: QueueSpec, handler: EnvelopeHandler, delays: Sequence[float]
    ) -> None:
        """Declare the queue with its bindings and start handling messages."""

    async def ready(self) -> bool: ...

    async def close(self) -> None: ...


def _delay_name(delay: float) -> str:
    return f"guichet.retry.{round(delay * 1000)}ms"


class RabbitBus:
    """aio-pika with a robust connection, publisher confirms and the topology above."""

    def __init__(self, url: str, *, name: str = "guichet", publish_timeout: float = 15.0) -> None:
        self.url = url
        self.name = name
        self.publish_timeout = publish_timeout
        self._connection: AbstractRobustConnection | None = None
        self._publish_channel: AbstractChannel | None = None
        self._exchange: AbstractExchange | None = None
        self._consumers: list[_RabbitConsumer] = []
        self._lock = asyncio.Lock()

    async def connect(self, timeout: float | None = None) -> None:
        async with self._lock:
            if self._connection is not None:
                return
            connection = await aio_pika.connect_robust(
                self.url, client_properties={"connection_name": self.name}, timeout=timeout
            )
            try:
                channel = await connection.channel(publisher_confirms=True)
                exchange = await declare_base_topology(channel)
            except BaseException:
                await connection.close()
                raise
            # Only a fully set-up bus is kept: a half-built one would never be retried.
            self._connection, self._publish_channel, self._exchange = connection, channel, exchange

    @property
    def connection(self) -> AbstractRobustConnection:
        if self._connection is None:
            raise RuntimeError("RabbitBus.connect() first")
        return self._connection

    async def publish_batch(self, messages: Sequence[OutgoingMessage]) -> None:
        await self.connect()
        assert self._exchange is not None
        exchange = self._exchange
        # Bounded: while the broker is away a robust channel may wait rather than fail.
        await asyncio.wait_for(
            asyncio.gather(
                *(exchange.publish(_amqp_message(m), routing_key=m.routing_key) for m in messages)
            ),
            self.publish_timeout,
        )

    async def consume(
        self, spec: QueueSpec, handler: EnvelopeHandler, delays: Sequence[float]
    ) -> None:
        await self.connect()
        consumer = _RabbitConsumer(self.connection, spec, handler, tuple(delays))
        await consumer.start()
        self._consumers.append(consumer)

    async def ready(self) -> bool:
        """Connected right now: a robust connection that is reconnecting is not ready; one
        that never came up is tried again here."""
        if self._connection is None:
            try:
                await self.connect(timeout=2)
            except Exception:
                return False
        assert self._connection is not None
        return not self._connection.is_closed and self._connection.connected.is_set()

    async def stop_consuming(self) -> None:
        consumers, self._consumers = self._consumers, []
        await asyncio.gather(*(c.stop() for c in consumers))

    async def close(self) -> None:
        await self.stop_consuming()
        connection, self._connection = self._connection, None
        if connection is not None:
            await connection.close()


def _amqp_message(m: OutgoingMessage) -> aio_pika.Message:
    return aio_pika.Message(
        body=m.body,
        content_type="application/cloudevents+json",
        delivery_mode=aio_pika.DeliveryMode.PERSISTENT,
        message_id=m.message_id,
        correlation_id=m.correlation_id,
        type=m.routing_key,
        app_id=m.source,
        timestamp=m.timestamp,
        headers=m.headers or None,
    )


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


class _RabbitConsumer:
    MAX_PARALLEL_BATCHES = 4

    def __init__(
        self,
        connection: AbstractRobustConnection,
        spec: QueueSpec,
        handler: EnvelopeHandler,
        delays: tuple[float, ...],
    ) -> None:
        self.connection = connection
        self.spec = spec
        self.handler = handler
        self.delays = delays
        self._channel: AbstractChannel | None = None
        self._queue: AbstractQueue | None = None
        self._tag: str | None = None
        self._delay_exchanges: dict[float, AbstractExchange] = {}
        self._in_flight: set[asyncio.Task[None]] = set()
        self._buffer: list[AbstractIncomingMessage] = []
        self._arrived = asyncio.Event()
        self._batcher: asyncio.Task[None] | None = None

    async def start(self) -> None:
        self._channel = await self.connection.channel(publisher_confirms=True)
        await self._channel.set_qos(prefetch_count=self.spec.prefetch)
        self._queue = await declare_consumer_queue(self._channel, self.spec)
        for delay in self.delays:
            self._delay_exchanges[delay] = await declare_delay(self._channel, delay)
        if isinstance(self.handler, BatchHandler):
            self._batcher = asyncio.create_task(self._batch_loop(self.handler))
        self._tag = await self._queue.consume(self._on_message)

    async def _on_message(self, message: AbstractIncomingMessage) -> None:
        if self._batcher is not None:
            self._buffer.append(message)
            self._arrived.set()
        else:
            # Handle concurrently up to the prefetch: the broker bounds what is in flight.
            self._spawn(self._handle(message))

    def _spawn(self, coroutine: Awaitable[None]) -> asyncio.Task[None]:
        task = asyncio.ensure_future(coroutine)
        self._in_flight.add(task)
        task.add_done_callback(self._in_flight.discard)
        return task

    async def _batch_loop(self, handler: BatchHandler) -> None:
        """Take whatever has arrived (at most a prefetch's worth), a few batches at a time:
        at low load a batch is one message, under load commits are shared."""
        slots = asyncio.Semaphore(self.MAX_PARALLEL_BATCHES)
        while True:
            await self._arrived.wait()
            await slots.acquire()
            batch, self._buffer = self._buffer, []
            self._arrived.clear()
            task = self._spawn(self._handle_batch(handler, batch))
            task.add_done_callback(lambda _t: slots.release())

    async def _handle_batch(
        self, handler: BatchHandler, messages: list[AbstractIncomingMessage]
    ) -> None:
        parsed: list[tuple[AbstractIncomingMessage, Envelope]] = []
        alone: list[AbstractIncomingMessage] = []
        for message in messages:
            try:
                parsed.append((message, Envelope.model_validate_json(message.body)))
            except ValidationError:
                alone.append(message)
        if len(parsed) > 1:
            try:
                await handler.handle_batch([envelope for _, envelope in parsed])
            except Exception as exc:
                log.info(
                    "batch failed, handling its messages one by one",
                    queue=self.spec.name,
                    size=len(parsed),
                    error=repr(exc),
                )
                alone.extend(message for message, _ in parsed)
            else:
                await asyncio.gather(*(self._settle(m, Ack(), 0) for m, _ in parsed))
        else:
            alone.extend(message for message, _ in parsed)
        await asyncio.gather(*(self._handle(message) for message in alone))

    async def _handle(self, message: AbstractIncomingMessage) -> None:
        retry_header = (message.headers or {}).get(RETRY_COUNT_HEADER)
        retry_count = retry_header if isinstance(retry_header, int) else 0
        outcome = await dispatch(
            message.body, retry_count, self.handler, self.delays, self.spec.name
        )
        await self._settle(message, outcome, retry_count)

    async def _settle(
        self, message: AbstractIncomingMessage, outcome: Outcome, retry_count: int
    ) -> None:
        assert self._channel is not None
        try:
            if isinstance(outcome, Retry):
                await self._delay_exchanges[outcome.delay].publish(
                    copy_message(
                        message,
                        {
                            RETRY_COUNT_HEADER: retry_count + outcome.counted,
                            ERROR_HEADER: outcome.error[:1000],
                        },
                    ),
                    routing_key=self.spec.name,
                )
            elif isinstance(outcome, Park):
                await self._channel.default_exchange.publish(
                    copy_message(
                        message,
                        {
                            ERROR_HEADER: outcome.error[:4000],
                            ORIGINAL_QUEUE_HEADER: self.spec.name,
                            PARKED_AT_HEADER: datetime.now(UTC).isoformat(),
                        },
                    ),
                    routing_key=self.spec.dlq,
                )
            await message.ack()
        except Exception as exc:
            # Broker gone mid-way: leave the message unacked; it comes back on reconnect.
            log.warning("could not settle message", queue=self.spec.name, error=repr(exc))
            return
        MESSAGES_HANDLED.labels(self.spec.name, type(outcome).__name__.lower()).inc()

    async def stop(self) -> None:
        """Stop taking messages, let the ones in hand finish, then close the channel."""
        if self._queue is not None and self._tag is not None:
            with contextlib.suppress(Exception):
                await self._queue.cancel(self._tag)
        deadline = asyncio.get_running_loop().time() + 30
        while (self._buffer or self._in_flight) and asyncio.get_running_loop().time() < deadline:
            if self._in_flight:
                await asyncio.wait(self._in_flight, timeout=1)
            else:
                await asyncio.sleep(0.01)
        if self._batcher is not None:
            self._batcher.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._batcher
        if self._channel is not None:
            with contextlib.suppress(Exception):
                await self._channel.close()


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
    retry_count: int = 0
    parked: ParkedMessage | None = None

    def to_json(self) -> str:
        return json.dumps(
            {
                "queue": self.queue,
                "body": base64.b64encode(self.body).decode(),
                "retry_count": self.retry_count,
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
            raw["retry_count"],
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
        self._queues: dict[str, tuple[QueueSpec, asyncio.Queue[tuple[bytes, int]]]] = {}
        self._workers: list[asyncio.Task[None]] = []
        self._delayed: dict[asyncio.TimerHandle, PendingMessage] = {}
        self._interrupted: list[PendingMessage] = []
        self.unrouted: deque[bytes] = deque(maxlen=10_000)
        self.parked: dict[str, list[ParkedMessage]] = defaultdict(list)
        self._closed = False

    async def publish_batch(self, messages: Sequence[OutgoingMessage]) -> None:
        if self._closed:
            raise RuntimeError("bus closed")
        for m in messages:
            routed = False
            for spec, queue in self._queues.values():
                if any(topic_matches(p, m.routing_key) for p in spec.patterns):
                    queue.put_nowait((m.body, 0))
                    routed = True
            if not routed:
                self.unrouted.append(m.body)

    async def consume(
        self, spec: QueueSpec, handler: EnvelopeHandler, delays: Sequence[float]
    ) -> None:
        queue: asyncio.Queue[tuple[bytes, int]] = asyncio.Queue()
        self._queues[spec.name] = (spec, queue)
        for _ in range(max(1, spec.prefetch)):
            self._workers.append(
                asyncio.create_task(self._work(spec, queue, handler, tuple(delays)))
            )

    async def _work(
        self,
        spec: QueueSpec,
        queue: asyncio.Queue[tuple[bytes, int]],
        handler: EnvelopeHandler,
        delays: tuple[float, ...],
    ) -> None:
        while True:
            body, retry_count = await queue.get()
            try:
                outcome = await dispatch(body, retry_count, handler, delays, spec.name)
            except asyncio.CancelledError:
                self._interrupted.append(PendingMessage(spec.name, body, retry_count))
                raise
            finally:
                queue.task_done()
            if isinstance(outcome, Retry):
                self._retry_later(
                    outcome.delay, PendingMessage(spec.name, body, retry_count + outcome.counted)
                )
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
            self._queues[message.queue][1].put_nowait((message.body, message.retry_count))
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
                body, retry_count = queue.get_nowait()
                pending.append(PendingMessage(name, body, retry_count))
        for name, parked in self.parked.items():
            pending.extend(PendingMessage(name, m.body, parked=m) for m in parked)
        return pending
