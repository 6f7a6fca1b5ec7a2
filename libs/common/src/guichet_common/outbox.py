"""Transactional outbox: events are rows written with the change, then relayed to the bus."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import asyncpg
from prometheus_client import Counter, Gauge
from sqlalchemy import Text, cast, delete, func, insert, select, update
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, AsyncSession

from guichet_common.db import libpq_dsn
from guichet_common.events import Envelope, Event, build_envelope, utcnow
from guichet_common.logging import get_logger
from guichet_common.messaging.bus import MessageBus, OutgoingMessage
from guichet_common.tables import PlumbingTables

log = get_logger(__name__)

OUTBOX_PUBLISHED = Counter(
    "guichet_outbox_published_total", "Events relayed from the outbox to the bus", ["schema"]
)
OUTBOX_PUBLISH_FAILURES = Counter(
    "guichet_outbox_publish_failures_total", "Relay batches the bus refused", ["schema"]
)
OUTBOX_PENDING = Gauge("guichet_outbox_pending", "Outbox rows not yet published", ["schema"])


class Outbox:
    """What services use to publish: `await outbox.publish(session, event, subject=…)`.

    The row is written in the caller's transaction, so the event exists if and only if the
    change committed. A trigger NOTIFYs the relay, transactionally: only after the commit.
    """

    def __init__(self, service: str, tables: PlumbingTables) -> None:
        self.service = service
        self.tables = tables

    async def publish(
        self,
        session: AsyncSession,
        event: Event,
        *,
        subject: str | None = None,
        causation_id: str | None = None,
    ) -> Envelope:
        envelope = build_envelope(
            service=self.service, event=event, subject=subject, causation_id=causation_id
        )
        await self._insert(session, [envelope])
        return envelope

    async def publish_many(
        self, session: AsyncSession, events: Sequence[tuple[Event, str | None]]
    ) -> list[Envelope]:
        """Several (event, subject) pairs in one statement, e.g. a timer's batch."""
        envelopes = [
            build_envelope(service=self.service, event=event, subject=subject)
            for event, subject in events
        ]
        if envelopes:
            await self._insert(session, envelopes)
        return envelopes

    async def _insert(self, session: AsyncSession, envelopes: Sequence[Envelope]) -> None:
        await session.execute(
            insert(self.tables.outbox),
            [
                {
                    "id": envelope.id,
                    "routing_key": envelope.type,
                    "subject": envelope.subject,
                    "envelope": envelope.model_dump(mode="json", exclude_none=True),
                }
                for envelope in envelopes
            ],
        )


async def republish_since(session: AsyncSession, tables: PlumbingTables, since: datetime) -> int:
    """Mark rows relayed since `since` as unpublished again, so the relay sends them once
    more: for a bus that lost what it held (the in-process bus after a crash). Consumers'
    inboxes drop the events they had already handled."""
    outbox = tables.outbox
    result = await session.execute(
        update(outbox)
        .where(outbox.c.published_at >= since)
        .values(published_at=None)
        .returning(outbox.c.id)
    )
    return len(result.all())


@dataclass
class OutboxStatus:
    service: str  # the schema's name
    pending: int
    oldest_pending_at: datetime | None
    published_last_hour: int
    failing: int
    last_error: str | None


async def outbox_status(session: AsyncSession, tables: PlumbingTables) -> OutboxStatus:
    outbox = tables.outbox
    pending_row = (
        await session.execute(
            select(
                func.count(),
                func.min(outbox.c.created_at),
                func.count().filter(outbox.c.attempts > 0),
            ).where(outbox.c.published_at.is_(None))
        )
    ).one()
    recent = await session.scalar(
        select(func.count()).where(outbox.c.published_at > utcnow() - timedelta(hours=1))
    )
    last_error = await session.scalar(
        select(outbox.c.last_error)
        .where(outbox.c.published_at.is_(None), outbox.c.last_error.is_not(None))
        .order_by(outbox.c.seq.desc())
        .limit(1)
    )
    return OutboxStatus(
        service=tables.schema,
        pending=pending_row[0],
        oldest_pending_at=pending_row[1],
        published_last_hour=recent or 0,
        failing=pending_row[2],
        last_error=last_error,
    )


class OutboxRelay:
    """Publishes committed outbox rows with publisher confirms, then marks them published.

    Woken by LISTEN/NOTIFY; a periodic sweep catches anything a lost notification missed.
    Rows are claimed with FOR UPDATE SKIP LOCKED, so several relays can share one outbox
    without publishing a row twice. A crash after publishing but before marking means the
    batch goes out again: consumers deduplicate by event id (the inbox).
    """

    def __init__(
        self,
        engine: AsyncEngine,
        tables: PlumbingTables,
        bus: MessageBus,
        *,
        batch_size: int = 200,
        sweep_seconds: float = 5.0,
        retention: timedelta = timedelta(days=7),
        cleanup_every: timedelta = timedelta(minutes=10),
    ) -> None:
        self.engine = engine
        self.tables = tables
        self.bus = bus
        self.batch_size = batch_size
        self.sweep_seconds = sweep_seconds
        self.retention = retention
        self.cleanup_every = cleanup_every
        self._wake = asyncio.Event()
        self._stopping = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._listener: asyncpg.Connection | None = None
        self._conn: AsyncConnection | None = None
        self._last_cleanup = utcnow()

    async def start(self) -> None:
        self._task = asyncio.create_task(self.run(), name=f"outbox-relay-{self.tables.schema}")

    async def stop(self) -> None:
        self._stopping.set()
        self._wake.set()
        if self._task is not None:
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        await self._close_listener()
        await self._drop_connection()

    async def run(self) -> None:
        backoff = 0.1
        while not self._stopping.is_set():
            try:
                await self._ensure_listener()
                # Cleared before reading: a NOTIFY arriving during the batch wakes us again.
                self._wake.clear()
                published = await self.relay_batch()
                backoff = 0.1
                if published >= self.batch_size:
                    continue  # more is waiting: no sleep
                await self._cleanup_if_due()
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._wake.wait(), self.sweep_seconds)
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # the relay must outlive DB and broker outages
                OUTBOX_PUBLISH_FAILURES.labels(self.tables.schema).inc()
                log.warning(
                    "outbox relay failed, retrying",
                    schema=self.tables.schema,
                    error=repr(exc),
                    retry_in=backoff,
                )
                await self._close_listener()
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._stopping.wait(), backoff)
                backoff = min(backoff * 2, 5.0)

    async def relay_batch(self) -> int:
        """Claim and mark a batch in one statement, publish it, then commit. The mark only
        becomes visible with the commit, after every confirm: a failed publish rolls it
        back, and the rows stay pending."""
        outbox = self.tables.outbox
        pending = (
            select(outbox.c.id)
            .where(outbox.c.published_at.is_(None))
            .order_by(outbox.c.seq)
            .limit(self.batch_size)
            .with_for_update(skip_locked=True)
        )
        conn = await self._connection()
        transaction = await conn.begin()
        rows: Sequence[Any] = ()
        try:
            rows = (
                await conn.execute(
                    update(outbox)
                    .where(outbox.c.id.in_(pending.scalar_subquery()))
                    .values(published_at=func.now())
                    .returning(
                        outbox.c.id,
                        outbox.c.seq,
                        outbox.c.routing_key,
                        cast(outbox.c.envelope, Text).label("body"),
                        outbox.c.envelope["correlationid"].astext.label("correlation_id"),
                        outbox.c.envelope["source"].astext.label("source"),
                        outbox.c.created_at,
                    )
                )
            ).all()
            if rows:
                rows = sorted(rows, key=lambda row: row.seq)  # RETURNING has no order
                await self.bus.publish_batch([_outgoing(row) for row in rows])
            await transaction.commit()
        except BaseException as exc:
            await self._drop_connection()
            if rows:
                await self._record_failure([row.id for row in rows], repr(exc))
            raise
        if rows:
            OUTBOX_PUBLISHED.labels(self.tables.schema).inc(len(rows))
        return len(rows)

    async def _connection(self) -> AsyncConnection:
        """The relay keeps one connection: no pool checkout or ping per batch."""
        if self._conn is None or self._conn.closed or self._conn.invalidated:
            self._conn = await self.engine.connect()
        return self._conn

    async def _drop_connection(self) -> None:
        conn, self._conn = self._conn, None
        if conn is not None:
            with contextlib.suppress(Exception):
                await conn.close()  # rolls back whatever was open

    async def drain(self) -> int:
        """Relay until nothing is pending (used by tests, benchmarks and `guichet up`)."""
        total = 0
        try:
            while n := await self.relay_batch():
                total += n
        finally:
            if self._task is None:  # not also running: give the connection back
                await self._drop_connection()
        return total

    async def _record_failure(self, ids: list[Any], error: str) -> None:
        outbox = self.tables.outbox
        with contextlib.suppress(Exception):
            async with self.engine.begin() as conn:
                await conn.execute(
                    update(outbox)
                    .where(outbox.c.id.in_(ids))
                    .values(attempts=outbox.c.attempts + 1, last_error=error[:2000])
                )

    async def _cleanup_if_due(self) -> None:
        now = utcnow()
        if now - self._last_cleanup < self.cleanup_every:
            return
        self._last_cleanup = now
        outbox = self.tables.outbox
        async with self.engine.begin() as conn:
            await conn.execute(delete(outbox).where(outbox.c.published_at < now - self.retention))
            pending = await conn.scalar(select(func.count()).where(outbox.c.published_at.is_(None)))
        OUTBOX_PENDING.labels(self.tables.schema).set(pending or 0)

    async def _ensure_listener(self) -> None:
        if self._listener is not None and not self._listener.is_closed():
            return
        self._listener = await asyncpg.connect(libpq_dsn(self.engine.url.render_as_string(False)))
        await self._listener.add_listener(self.tables.notify_channel, self._on_notify)

    def _on_notify(self, *_args: object) -> None:
        self._wake.set()

    async def _close_listener(self) -> None:
        listener, self._listener = self._listener, None
        if listener is not None and not listener.is_closed():
            with contextlib.suppress(Exception):
                await asyncio.wait_for(listener.close(), 2)


def _outgoing(row: Any) -> OutgoingMessage:
    return OutgoingMessage(
        routing_key=row.routing_key,
        body=row.body.encode(),
        message_id=str(row.id),
        correlation_id=row.correlation_id,
        source=row.source,
        timestamp=row.created_at,
    )
