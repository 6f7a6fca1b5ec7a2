"""SQL for stored events, deliveries and attempts."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any
from uuid import UUID

from sqlalchemy import Row, and_, bindparam, delete, exists, func, or_, select, tuple_, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from notifier.deliveries.models import DeliveryState, delivery, delivery_attempt, stored_event

DUE_STATES = (DeliveryState.PENDING, DeliveryState.RETRYING)


async def store_event(session: AsyncSession, values: dict[str, Any]) -> None:
    await session.execute(insert(stored_event).values(**values).on_conflict_do_nothing())


async def get_events(session: AsyncSession, ids: Sequence[UUID]) -> dict[UUID, Row[Any]]:
    if not ids:
        return {}
    rows = await session.execute(select(stored_event).where(stored_event.c.id.in_(set(ids))))
    return {row.id: row for row in rows}


async def events_since(session: AsyncSession, since: datetime, limit: int) -> Sequence[Row[Any]]:
    rows = await session.execute(
        select(stored_event)
        .where(stored_event.c.time >= since)
        .order_by(stored_event.c.time, stored_event.c.id)
        .limit(limit)
    )
    return rows.all()


async def insert_deliveries(session: AsyncSession, rows: Sequence[dict[str, Any]]) -> list[UUID]:
    """Inserts what is new; a (event, template, recipient) already there is left alone."""
    if not rows:
        return []
    result = await session.execute(
        insert(delivery).values(list(rows)).on_conflict_do_nothing().returning(delivery.c.id)
    )
    return list(result.scalars())


async def requeue_deliveries(
    session: AsyncSession, rows: Sequence[dict[str, Any]], now: datetime
) -> list[UUID]:
    """Inserts new deliveries and puts existing ones back in the queue (a replay)."""
    if not rows:
        return []
    statement = insert(delivery).values(list(rows))
    result = await session.execute(
        statement.on_conflict_do_update(
            index_elements=[delivery.c.event_id, delivery.c.template, delivery.c.recipient],
            set_={
                "state": DeliveryState.PENDING,
                "next_attempt_at": now,
                "next_trigger": statement.excluded.next_trigger,
                "updated_at": now,
            },
            where=delivery.c.state != DeliveryState.SENDING,
        ).returning(delivery.c.id)
    )
    return list(result.scalars())


async def recover_expired_leases(session: AsyncSession, now: datetime) -> int:
    """A sender that died mid-send leaves `sending` rows; after their lease they go back."""
    result = await session.execute(
        update(delivery)
        .where(delivery.c.state == DeliveryState.SENDING, delivery.c.next_attempt_at <= now)
        .values(
            state=DeliveryState.RETRYING,
            last_error="sender lease expired before the outcome was recorded",
            updated_at=now,
        )
    )
    return int(result.rowcount)  # type: ignore[attr-defined]


async def claim_due(
    session: AsyncSession, now: datetime, lease_until: datetime, limit: int
) -> Sequence[Row[Any]]:
    """Marks due deliveries `sending` until `lease_until`; other senders skip them."""
    due = (
        select(delivery.c.id)
        .where(delivery.c.state.in_(DUE_STATES), delivery.c.next_attempt_at <= now)
        .order_by(delivery.c.next_attempt_at)
        .limit(limit)
        .with_for_update(skip_locked=True)
        .cte("due")
    )
    result = await session.execute(
        update(delivery)
        .where(delivery.c.id == due.c.id)
        .values(state=DeliveryState.SENDING, next_attempt_at=lease_until, updated_at=now)
        .returning(*delivery.c)
    )
    return result.all()


async def record_outcomes(
    session: AsyncSession,
    updates: Sequence[dict[str, Any]],
    attempts: Sequence[dict[str, Any]],
) -> None:
    """One executemany for the deliveries, one for their attempts."""
    if updates:
        await session.execute(
            update(delivery)
            .where(delivery.c.id == bindparam("delivery_id"))
            .values(
                state=bindparam("new_state"),
                attempts=delivery.c.attempts + bindparam("attempt_increment"),
                next_attempt_at=bindparam("new_next_attempt_at"),
                last_error=bindparam("new_last_error"),
                sent_at=func.coalesce(bindparam("new_sent_at"), delivery.c.sent_at),
                next_trigger="scheduled",
                updated_at=bindparam("new_updated_at"),
            ),
            list(updates),
            execution_options={"synchronize_session": False},
        )
    if attempts:
        await session.execute(delivery_attempt.insert(), list(attempts))


async def get_delivery(session: AsyncSession, delivery_id: UUID) -> Row[Any] | None:
    return (await session.execute(select(delivery).where(delivery.c.id == delivery_id))).first()


async def requeue(
    session: AsyncSession, delivery_id: UUID, now: datetime, trigger: str
) -> Row[Any] | None:
    result = await session.execute(
        update(delivery)
        .where(delivery.c.id == delivery_id, delivery.c.state != DeliveryState.SENDING)
        .values(
            state=DeliveryState.PENDING, next_attempt_at=now, next_trigger=trigger, updated_at=now
        )
        .returning(*delivery.c)
    )
    return result.first()


async def list_deliveries(
    session: AsyncSession,
    *,
    subject: str | None = None,
    endpoint_id: UUID | None = None,
    after: tuple[datetime, UUID] | None = None,
    limit: int,
) -> Sequence[Row[Any]]:
    conditions = []
    if subject is not None:
        conditions.append(delivery.c.subject == subject)
    if endpoint_id is not None:
        conditions.append(delivery.c.endpoint_id == endpoint_id)
    if after is not None:
        conditions.append(tuple_(delivery.c.created_at, delivery.c.id) > tuple_(*after))
    rows = await session.execute(
        select(delivery)
        .where(and_(*conditions))
        .order_by(delivery.c.created_at, delivery.c.id)
        .limit(limit)
    )
    return rows.all()


async def attempts_of(
    session: AsyncSession, delivery_ids: Sequence[UUID]
) -> dict[UUID, list[Row[Any]]]:
    found: dict[UUID, list[Row[Any]]] = {i: [] for i in delivery_ids}
    if not delivery_ids:
        return found
    rows = await session.execute(
        select(delivery_attempt)
        .where(delivery_attempt.c.delivery_id.in_(list(delivery_ids)))
        .order_by(delivery_attempt.c.id)
    )
    for row in rows:
        found[row.delivery_id].append(row)
    return found


async def suppress_pending_for_endpoint(
    session: AsyncSession, endpoint_id: UUID, reason: str, now: datetime
) -> None:
    await session.execute(
        update(delivery)
        .where(
            delivery.c.endpoint_id == endpoint_id,
            or_(*(delivery.c.state == s for s in DUE_STATES)),
        )
        .values(state=DeliveryState.SUPPRESSED, last_error=reason, updated_at=now)
    )


# Replies that say the mailbox does not exist or never will accept mail (RFC 5321 §4.2.3).
HARD_BOUNCE_CODES = (550, 551, 553)


async def hard_bounced(session: AsyncSession, recipients: Sequence[str]) -> set[str]:
    """Addresses among `recipients` whose mailbox a server refused outright before."""
    if not recipients:
        return set()
    rows = await session.execute(
        select(delivery.c.recipient)
        .join(delivery_attempt, delivery_attempt.c.delivery_id == delivery.c.id)
        .where(
            delivery.c.channel == "email",
            delivery.c.recipient.in_(set(recipients)),
            delivery_attempt.c.status_code.in_(HARD_BOUNCE_CODES),
        )
        .distinct()
    )
    return set(rows.scalars())


FINAL_STATES = (DeliveryState.SENT, DeliveryState.FAILED, DeliveryState.SUPPRESSED)


async def purge_before(session: AsyncSession, before: datetime) -> tuple[int, int]:
    """Deletes finished deliveries (with their attempts) last touched before `before`, then
    stored events older than that which no delivery needs any more."""
    old = select(delivery.c.id).where(
        delivery.c.state.in_(FINAL_STATES), delivery.c.updated_at < before
    )
    await session.execute(delete(delivery_attempt).where(delivery_attempt.c.delivery_id.in_(old)))
    deliveries = await session.execute(
        delete(delivery).where(delivery.c.state.in_(FINAL_STATES), delivery.c.updated_at < before)
    )
    events = await session.execute(
        delete(stored_event).where(
            stored_event.c.time < before,
            ~exists().where(delivery.c.event_id == stored_event.c.id),
        )
    )
    return int(deliveries.rowcount), int(events.rowcount)  # type: ignore[attr-defined]
