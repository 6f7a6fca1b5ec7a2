"""Idempotent consumers: the inbox row and the handler's effects commit together."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, TypeVar
from uuid import UUID

from pydantic import ValidationError
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from guichet_common.db import SessionFactory, unit_of_work
from guichet_common.events import Envelope, Event
from guichet_common.logging import causation_id_var, correlation_id_var
from guichet_common.messaging.bus import QueueSpec
from guichet_common.messaging.dispatch import PermanentError
from guichet_common.tables import PlumbingTables

E = TypeVar("E", bound=Event)
Handler = Callable[[AsyncSession, Any, Envelope], Awaitable[None]]


async def claim(
    session: AsyncSession, tables: PlumbingTables, consumer: str, envelopes: Sequence[Envelope]
) -> set[UUID]:
    """Record that `consumer` handles these events; returns the ids it had not handled yet.

    One statement for the whole batch. A concurrent duplicate blocks on the primary key
    until the first transaction ends, then sees the conflict: two deliveries never both run
    the handler's effects.
    """
    result = await session.execute(
        insert(tables.processed_event)
        .values([{"consumer": consumer, "event_id": e.id, "event_type": e.type} for e in envelopes])
        .on_conflict_do_nothing()
        .returning(tables.processed_event.c.event_id)
    )
    return set(result.scalars())


@dataclass
class Subscription:
    """What one consumer group of a service handles, keyed by event type.

    `patterns` bind the queue; by default the handled types themselves. A message whose
    type has no handler is parked, unless a `fallback` handles any type (e.g. the notifier).

    Handlers run exactly once per event but in no guaranteed order: batches run in
    parallel and retries come back later. A handler that cares compares the event's `time`
    or a version carried in its data with what it has stored.
    """

    group: str
    patterns: tuple[str, ...] = ()
    handlers: dict[str, tuple[type[Event], Handler]] = field(default_factory=dict)
    fallback: Handler | None = None

    def on(self, model: type[E]) -> Callable[[Handler], Handler]:
        def register(handler: Handler) -> Handler:
            if model.event_type in self.handlers:
                raise ValueError(f"{self.group}: two handlers for {model.event_type}")
            self.handlers[model.event_type] = (model, handler)
            return handler

        return register

    def queue_spec(self, service: str, prefetch: int = 32) -> QueueSpec:
        patterns = self.patterns or tuple(sorted(self.handlers))
        if not patterns:
            raise ValueError(f"{service}.{self.group} binds nothing")
        return QueueSpec(name=f"{service}.{self.group}", patterns=patterns, prefetch=prefetch)


class InboxHandler:
    """Runs a subscription's handler for one envelope inside one transaction."""

    def __init__(
        self,
        consumer: str,
        subscription: Subscription,
        session_factory: SessionFactory,
        tables: PlumbingTables,
    ) -> None:
        self.consumer = consumer
        self.subscription = subscription
        self.session_factory = session_factory
        self.tables = tables

    def _resolve(self, envelope: Envelope) -> tuple[Handler, Any]:
        entry = self.subscription.handlers.get(envelope.type)
        if entry is not None:
            model, handler = entry
            try:
                return handler, model.model_validate(envelope.data)
            except ValidationError as exc:
                raise PermanentError(f"invalid {envelope.type} payload: {exc}") from exc
        if self.subscription.fallback is not None:
            return self.subscription.fallback, envelope.data
        raise PermanentError(f"{self.consumer} has no handler for {envelope.type}")

    async def __call__(self, envelope: Envelope) -> None:
        await self.handle_batch([envelope])

    async def handle_batch(self, envelopes: Sequence[Envelope]) -> None:
        """All in one transaction: each event's inbox row with its effects, committed once."""
        resolved = [(envelope, *self._resolve(envelope)) for envelope in envelopes]
        async with unit_of_work(self.session_factory) as session:
            fresh = await claim(session, self.tables, self.consumer, envelopes)
            for envelope, handler, payload in resolved:
                if envelope.id in fresh:
                    fresh.discard(envelope.id)  # the same event twice in one batch: once
                    correlation = correlation_id_var.set(envelope.correlationid)
                    causation = causation_id_var.set(str(envelope.id))
                    try:
                        await handler(session, payload, envelope)
                    finally:
                        causation_id_var.reset(causation)
                        correlation_id_var.reset(correlation)
