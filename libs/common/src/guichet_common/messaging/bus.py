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


class MessageBus(Protocol):
    async def publish_batch(self, messages: Sequence[OutgoingMessage]) -> None:
        """Publish every message or raise: success means the bus holds them all."""

    async def consume(
        self, spec: QueueSpec, handler: EnvelopeHandler, delays: Sequence[float]
    ) -> None:
        """Declare the queue with its bindings and start handling messages."""

    async def ready(self) -> bool: ...

    async def close(self) -> None: ...
