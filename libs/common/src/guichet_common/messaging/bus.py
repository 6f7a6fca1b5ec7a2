"""What producers and consumers see of a bus, whichever it is."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

from guichet_common.events import Envelope


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
    """A consumer group's queue (`<service>.<group>`) and the routing keys it binds."""

    name: str
    patterns: tuple[str, ...]
    prefetch: int = 32

    @property
    def dlq(self) -> str:
        return f"{self.name}.dlq"


EnvelopeHandler = Callable[[Envelope], Awaitable[None]]


@dataclass(frozen=True)
class RetryPolicy:
    """When a failed delivery is tried again. A handler that fails is retried after each of
    `delays`, then parked. The infrastructure being away (the database or the broker cannot
    be reached) is not the handler's fault and uses none of that budget: it is retried
    every `outage_delay` seconds, up to `outage_limit` times, then parked with the reason."""

    delays: tuple[float, ...]
    outage_delay: float = 10.0
    outage_limit: int = 60


# What the bus said of one message: None, it holds it; else why it refused that message
# (and may refuse it again: too big, a full queue that rejects publishes).
Refusal = str | None


class MessageBus(Protocol):
    async def publish_batch(self, messages: Sequence[OutgoingMessage]) -> list[Refusal]:
        """Publish every message: one answer per message, in order. Raises when the bus
        cannot be reached, which says nothing about any message."""

    async def consume(self, spec: QueueSpec, handler: EnvelopeHandler, policy: RetryPolicy) -> None:
        """Declare the queue with its bindings and start handling messages."""

    async def ready(self) -> bool: ...

    async def close(self) -> None: ...
