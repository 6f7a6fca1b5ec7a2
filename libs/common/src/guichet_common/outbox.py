"""Transactional outbox: events are rows written with the change, then relayed to the bus."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from uuid import UUID

import asyncpg
from prometheus_client import Counter, Gauge
from sqlalchemy import Text, bindparam, cast, delete, func, insert, or_, select, update
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, AsyncSession

from guichet_common.db import libpq_dsn
from guichet_common.events import Envelope, Event, build_envelope, utcnow
from guichet_common.logging import get_logger
from guichet_common.messaging.bus import MessageBus, OutgoingMessage
from guichet_common.settings import DEFAULT_MAX_ENVELOPE_BYTES, DEFAULT_REFUSAL_DELAYS
from guichet_common.tables import PlumbingTables

log = get_logger(__name__)

OUTBOX_PUBLISHED = Counter(
    "guichet_outbox_published_total", "Events relayed from the outbox to the bus", ["schema"]
)
OUTBOX_PUBLISH_FAILURES = Counter(
    "guichet_outbox_publish_failures_total",
    "Relay batches that failed: the bus or the database could not be reached",
    ["schema"],
)
OUTBOX_PENDING = Gauge("guichet_outbox_pending", "Outbox rows not yet published", ["schema"])
OUTBOX_SET_ASIDE = Counter(
    "guichet_outbox_set_aside_total", "Outbox rows set aside after the bus refused them", ["schema"]
)


class EnvelopeTooLarge(ValueError):
    """An event bigger than the bus takes: refused in the producer's transaction, so the
    change that raised it does not commit without its event."""


class Outbox:
    """What services use to publish: `await outbox.publish(session, event, subject=…)`.

    The row is written in the caller's transaction, so the event exists if and only if the
    change committed. A trigger NOTIFYs the relay, transactionally: only after the commit.
    """

    def __init__(
        self,
        service: str,
        tables: PlumbingTables,
        max_envelope_bytes: int = DEFAULT_MAX_ENVELOPE_BYTES,
    ) -> None:
        self.service = service
        self.tables = tables
        # The app and the worker set it from `outbox_max_envelope_bytes` when they start.
        self.max_envelope_bytes = max_envelope_bytes

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
        rows = []
        for envelope in envelopes:
            # Serialised once: the text measured is the text stored (cast to jsonb).
            body = envelope.model_dump_json(exclude_none=True)
            size = len(body.encode())
            if size > self.max_envelope_bytes:
                raise EnvelopeTooLarge(
                    f"{envelope.type} is {size} bytes; the bus takes at most "
                    f"{self.max_envelope_bytes} (outbox_max_envelope_bytes)"
                )
            rows.append(
                {
                    "id": envelope.id,
                    "routing_key": envelope.type,
                    "subject": envelope.subject,
                    "body": body,
                }
            )
        await session.execute(
            insert(self.tables.outbox).values(envelope=cast(bindparam("body", type_=Text), JSONB)),
            rows,
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
class SetAside:
    """A row the bus refused after every attempt: kept, and sent again by `resend`."""

    id: str
    routing_key: str
    subject: str | None
    attempts: int
    last_error: str | None
    set_aside_at: datetime


@dataclass
class OutboxStatus:
    service: str  # the schema's name
    pending: int
    oldest_pending_at: datetime | None
    published_last_hour: int
    failing: int  # pending rows the bus refused at least once, or that an outage held
    last_error: str | None
    set_aside: int
    set_aside_rows: list[SetAside]  # the most recent, at most SET_ASIDE_SHOWN


SET_ASIDE_SHOWN = 20


async def outbox_status(session: AsyncSession, tables: PlumbingTables) -> OutboxStatus:
    outbox = tables.outbox
    pending_row = (
        await session.execute(
            select(
                func.count(),
                func.min(outbox.c.created_at),
                func.count().filter(outbox.c.last_error.is_not(None)),
            ).where(outbox.c.published_at.is_(None), outbox.c.set_aside_at.is_(None))
        )
    ).one()
    recent = await session.scalar(
        select(func.count()).where(outbox.c.published_at > utcnow() - timedelta(hours=1))
    )
    last_error = await session.scalar(
        select(outbox.c.last_error)
        .where(
            outbox.c.published_at.is_(None),
            outbox.c.set_aside_at.is_(None),
            outbox.c.last_error.is_not(None),
        )
        .order_by(outbox.c.seq.desc())
        .limit(1)
    )
    set_aside_count = await session.scalar(
        select(func.count()).where(outbox.c.set_aside_at.is_not(None))
    )
    set_aside_rows = (
        await session.execute(
            select(
                outbox.c.id,
                outbox.c.routing_key,
                outbox.c.subject,
                outbox.c.attempts,
                outbox.c.last_error,
                outbox.c.set_aside_at,
            )
            .where(outbox.c.set_aside_at.is_not(None))
            .order_by(outbox.c.set_aside_at.desc())
            .limit(SET_ASIDE_SHOWN)
        )
    ).all()
    return OutboxStatus(
        service=tables.schema,
        pending=pending_row[0],
        oldest_pending_at=pending_row[1],
        published_last_hour=recent or 0,
        failing=pending_row[2],
        last_error=last_error,
        set_aside=set_aside_count or 0,
        set_aside_rows=[
            SetAside(str(r.id), r.routing_key, r.subject, r.attempts, r.last_error, r.set_aside_at)
            for r in set_aside_rows
        ],
    )


async def resend_set_aside(
    session: AsyncSession, tables: PlumbingTables, ids: Sequence[UUID] | None = None
) -> int:
    """Rows set aside (all, or those of `ids`) go back to the relay with fresh attempts,
    once what made the bus refuse them is fixed. Wakes the relay at commit."""
    outbox = tables.outbox
    statement = update(outbox).where(outbox.c.set_aside_at.is_not(None))
    if ids is not None:
        statement = statement.where(outbox.c.id.in_(ids))
    result = await session.execute(
        statement.values(set_aside_at=None, retry_at=None, attempts=0, last_error=None).returning(
            outbox.c.id
        )
    )
    count = len(result.all())
    if count:
        await session.execute(select(func.pg_notify(tables.notify_channel, "")))
    return count


class OutboxRelay:
    """Publishes committed outbox rows with publisher confirms, then marks them published.

    Woken by LISTEN/NOTIFY; a periodic sweep catches anything a lost notification missed.
    Rows are claimed with FOR UPDATE SKIP LOCKED, so several relays can share one outbox
    without publishing a row twice. A crash after publishing but before marking means the
    batch goes out again: consumers deduplicate by event id (the inbox).

    The bus answers for each message. One it refuses goes back, to be tried after each of
    `refusal_delays`, then set aside with its reason; the rest of the batch is published,
    and the rows behind it flow. An unreachable bus refuses nothing: the whole batch stays
    pending and no attempt is counted.
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
        refusal_delays: Sequence[float] = DEFAULT_REFUSAL_DELAYS,
    ) -> None:
        self.engine = engine
        self.tables = tables
        self.bus = bus
        self.batch_size = batch_size
        self.refusal_delays = tuple(refusal_delays)
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
        """Claim and mark a batch in one statement, publish it, put back what the bus
        refused, then commit. The marks only become visible with the commit, after every
        answer: a bus that cannot be reached rolls them back, and the rows stay pending."""
        outbox = self.tables.outbox
        pending = (
            select(outbox.c.id)
            .where(
                outbox.c.published_at.is_(None),
                outbox.c.set_aside_at.is_(None),
                or_(outbox.c.retry_at.is_(None), outbox.c.retry_at <= func.now()),
            )
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
                        outbox.c.attempts,
                        cast(outbox.c.envelope, Text).label("body"),
                        outbox.c.envelope["correlationid"].astext.label("correlation_id"),
                        outbox.c.envelope["source"].astext.label("source"),
                        outbox.c.created_at,
                    )
                )
            ).all()
            refused: list[tuple[Any, str]] = []
            if rows:
                rows = sorted(rows, key=lambda row: row.seq)  # RETURNING has no order
                refusals = await self.bus.publish_batch([_outgoing(row) for row in rows])
                refused = [(row, why) for row, why in zip(rows, refusals, strict=True) if why]
                if refused:
                    await self._put_back(conn, refused)
            await transaction.commit()
        except BaseException as exc:
            await self._drop_connection()
            if rows:
                await self._record_outage([row.id for row in rows], repr(exc))
            raise
        if rows:
            OUTBOX_PUBLISHED.labels(self.tables.schema).inc(len(rows) - len(refused))
        return len(rows)

    async def _put_back(self, conn: AsyncConnection, refused: list[tuple[Any, str]]) -> None:
        """Refused rows are unmarked in the batch's transaction: each waits its next delay,
        or, refused once more than there are delays, is set aside."""
        outbox = self.tables.outbox
        now = utcnow()
        changes = []
        for row, why in refused:
            attempts = row.attempts + 1
            exhausted = attempts > len(self.refusal_delays)
            delay = 0.0 if exhausted else self.refusal_delays[attempts - 1]
            changes.append(
                {
                    "row_id": row.id,
                    "new_attempts": attempts,
                    "error": why[:2000],
                    "retry": None if exhausted else now + timedelta(seconds=delay),
                    "aside": now if exhausted else None,
                }
            )
            log.warning(
                "the bus refused an outbox row",
                schema=self.tables.schema,
                event_id=str(row.id),
                routing_key=row.routing_key,
                attempts=attempts,
                reason=why,
                set_aside=exhausted,
            )
            if exhausted:
                OUTBOX_SET_ASIDE.labels(self.tables.schema).inc()
        await conn.execute(
            update(outbox)
            .where(outbox.c.id == bindparam("row_id"))
            .values(
                published_at=None,
                attempts=bindparam("new_attempts"),
                last_error=bindparam("error"),
                retry_at=bindparam("retry"),
                set_aside_at=bindparam("aside"),
            ),
            changes,
        )

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

    async def _record_outage(self, ids: list[Any], error: str) -> None:
        """Why the rows wait, for `guichet outbox status`; no attempt is counted: an
        unreachable bus or database says nothing against the messages."""
        outbox = self.tables.outbox
        with contextlib.suppress(Exception):
            async with self.engine.begin() as conn:
                await conn.execute(
                    update(outbox).where(outbox.c.id.in_(ids)).values(last_error=error[:2000])
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
