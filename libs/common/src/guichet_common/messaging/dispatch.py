"""What becomes of one delivery: ack, retry after a delay, or park. Both buses use it, so
they behave alike."""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol, runtime_checkable

import aio_pika
from prometheus_client import Counter, Histogram
from pydantic import ValidationError

from guichet_common.db import is_database_unavailable
from guichet_common.events import Envelope
from guichet_common.logging import correlation_id_var, get_logger
from guichet_common.messaging.bus import EnvelopeHandler, RetryPolicy

log = get_logger(__name__)

MESSAGES_HANDLED = Counter(
    "guichet_messages_total", "Messages consumed, by outcome", ["queue", "outcome"]
)
HANDLE_SECONDS = Histogram("guichet_message_handle_seconds", "Handler duration", ["queue"])


class PermanentError(Exception):
    """The message can never succeed (malformed, unknown type, invalid payload): park it now."""


@runtime_checkable
class BatchHandler(Protocol):
    """A handler that can also take several envelopes in one transaction. Under load the
    RabbitMQ consumer hands it what has arrived; if the batch fails, every message is
    dispatched again on its own, so retries and parking stay per message."""

    async def __call__(self, envelope: Envelope) -> None: ...

    async def handle_batch(self, envelopes: Sequence[Envelope]) -> None: ...


@dataclass(frozen=True)
class Attempts:
    """What a delivery went through before: handler failures, infrastructure outages."""

    failures: int = 0
    outages: int = 0


@dataclass(frozen=True)
class Ack:
    pass


@dataclass(frozen=True)
class Retry:
    delay: float
    error: str
    attempts: Attempts  # what the delivery carries into its next try


@dataclass(frozen=True)
class Park:
    error: str


Outcome = Ack | Retry | Park


async def dispatch(
    body: bytes, attempts: Attempts, handler: EnvelopeHandler, policy: RetryPolicy, queue: str
) -> Outcome:
    """Decide what becomes of one delivery."""
    try:
        envelope = Envelope.model_validate_json(body)
    except ValidationError as exc:
        return Park(f"malformed envelope: {_short(exc)}")
    token = correlation_id_var.set(envelope.correlationid)
    started = time.perf_counter()
    context = {"queue": queue, "event_id": str(envelope.id)}
    try:
        await handler(envelope)
    except PermanentError as exc:
        log.warning("message parked", **context, error=str(exc))
        return Park(str(exc))
    except Exception as exc:
        error = f"{type(exc).__name__}: {exc}"
        if is_infrastructure_outage(exc):
            if attempts.outages < policy.outage_limit:
                log.warning("infrastructure unavailable, will retry", **context, error=error)
                outage = Attempts(attempts.failures, attempts.outages + 1)
                return Retry(policy.outage_delay, error, outage)
            log.error("infrastructure unavailable for too long, parking", **context, error=error)
            return Park(f"infrastructure unavailable for {attempts.outages + 1} attempts: {error}")
        if attempts.failures < len(policy.delays):
            log.warning(
                "handler failed, will retry",
                **context,
                attempt=attempts.failures + 1,
                error=error,
            )
            failure = Attempts(attempts.failures + 1, attempts.outages)
            return Retry(policy.delays[attempts.failures], error, failure)
        log.error(
            "handler failed for good, parking",
            **context,
            attempts=attempts.failures + 1,
            error=error,
        )
        return Park(f"failed after {attempts.failures + 1} attempts: {error}")
    finally:
        HANDLE_SECONDS.labels(queue).observe(time.perf_counter() - started)
        correlation_id_var.reset(token)
    return Ack()


def is_infrastructure_outage(exc: BaseException) -> bool:
    """Only the database or the broker being out of reach: any other error, an OSError of
    the handler's own included, is the handler's and counts against its retries."""
    if is_database_unavailable(exc):
        return True
    return isinstance(exc, aio_pika.exceptions.AMQPConnectionError)


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
