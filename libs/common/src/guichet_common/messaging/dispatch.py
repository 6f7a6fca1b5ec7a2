"""What becomes of one delivery: ack, retry after a delay, or park. Both buses use it, so
they behave alike."""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol, runtime_checkable

from prometheus_client import Counter, Histogram
from pydantic import ValidationError
from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError

from guichet_common.events import Envelope
from guichet_common.logging import correlation_id_var, get_logger
from guichet_common.messaging.bus import EnvelopeHandler

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
    """Decide what becomes of one delivery."""
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
