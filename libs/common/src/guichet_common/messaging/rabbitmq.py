"""The RabbitMQ bus: aio-pika with a robust connection, publisher confirms, and a consumer
that retries through delay queues and parks in `<queue>.dlq` (see `topology`)."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Sequence
from datetime import UTC, datetime

import aio_pika
from aio_pika.abc import (
    AbstractChannel,
    AbstractExchange,
    AbstractIncomingMessage,
    AbstractQueue,
    AbstractRobustConnection,
)
from aio_pika.exceptions import DeliveryError
from pydantic import ValidationError

from guichet_common.events import Envelope
from guichet_common.logging import get_logger
from guichet_common.messaging.bus import (
    EnvelopeHandler,
    OutgoingMessage,
    QueueSpec,
    Refusal,
    RetryPolicy,
)
from guichet_common.messaging.dispatch import (
    MESSAGES_HANDLED,
    Ack,
    Attempts,
    BatchHandler,
    Outcome,
    Park,
    Retry,
    dispatch,
)
from guichet_common.messaging.topology import (
    ERROR_HEADER,
    ORIGINAL_QUEUE_HEADER,
    OUTAGE_COUNT_HEADER,
    PARKED_AT_HEADER,
    RETRY_COUNT_HEADER,
    copy_message,
    declare_base_topology,
    declare_consumer_queue,
    declare_delay,
)

log = get_logger(__name__)


class RabbitBus:
    """aio-pika with a robust connection, publisher confirms and Guichet's topology."""

    def __init__(self, url: str, *, name: str = "guichet", publish_timeout: float = 15.0) -> None:
        self.url = url
        self.name = name
        self.publish_timeout = publish_timeout
        self._connection: AbstractRobustConnection | None = None
        self._exchange: AbstractExchange | None = None
        self._consumers: list[RabbitConsumer] = []
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
            self._connection, self._exchange = connection, exchange

    @property
    def connection(self) -> AbstractRobustConnection:
        if self._connection is None:
            raise RuntimeError("RabbitBus.connect() first")
        return self._connection

    async def publish_batch(self, messages: Sequence[OutgoingMessage]) -> list[Refusal]:
        await self.connect()
        assert self._exchange is not None
        exchange = self._exchange
        # Bounded: while the broker is away a robust channel may wait rather than fail.
        confirms = await asyncio.wait_for(
            asyncio.gather(
                *(exchange.publish(_amqp_message(m), routing_key=m.routing_key) for m in messages),
                return_exceptions=True,
            ),
            self.publish_timeout,
        )
        refusals: list[Refusal] = []
        for confirm in confirms:
            if isinstance(confirm, DeliveryError):  # a nack: the broker refused this one
                refusals.append(f"refused by the broker: {confirm}")
            elif isinstance(confirm, BaseException):
                raise confirm  # the channel or connection failed: nothing is known
            else:
                refusals.append(None)
        return refusals

    async def consume(self, spec: QueueSpec, handler: EnvelopeHandler, policy: RetryPolicy) -> None:
        await self.connect()
        consumer = RabbitConsumer(self.connection, spec, handler, policy)
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


class RabbitConsumer:
    """One consumer group's queue: handles deliveries, then acks, retries or parks each."""

    MAX_PARALLEL_BATCHES = 4

    def __init__(
        self,
        connection: AbstractRobustConnection,
        spec: QueueSpec,
        handler: EnvelopeHandler,
        policy: RetryPolicy,
    ) -> None:
        self.connection = connection
        self.spec = spec
        self.handler = handler
        self.policy = policy
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
        for delay in {*self.policy.delays, self.policy.outage_delay}:
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
                await asyncio.gather(*(self._settle(m, Ack()) for m, _ in parsed))
        else:
            alone.extend(message for message, _ in parsed)
        await asyncio.gather(*(self._handle(message) for message in alone))

    async def _handle(self, message: AbstractIncomingMessage) -> None:
        headers = message.headers or {}
        failures, outages = headers.get(RETRY_COUNT_HEADER), headers.get(OUTAGE_COUNT_HEADER)
        attempts = Attempts(
            failures if isinstance(failures, int) else 0,
            outages if isinstance(outages, int) else 0,
        )
        outcome = await dispatch(message.body, attempts, self.handler, self.policy, self.spec.name)
        await self._settle(message, outcome)

    async def _settle(self, message: AbstractIncomingMessage, outcome: Outcome) -> None:
        assert self._channel is not None
        try:
            if isinstance(outcome, Retry):
                await self._delay_exchanges[outcome.delay].publish(
                    copy_message(
                        message,
                        {
                            RETRY_COUNT_HEADER: outcome.attempts.failures,
                            OUTAGE_COUNT_HEADER: outcome.attempts.outages,
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
