"""SQL for stored events, deliveries and attempts."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any
from uuid import UUID

from sqlalchemy import DateTime, Select, bindparam, delete, exists, func, select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from guichet_common.pagination import KeysetOrder, Paged, PageRequest, paginate
from notifier.deliveries.models import (
    HARD_BOUNCE_CODES,
    AttemptTrigger,
    Channel,
    Delivery,
    DeliveryAttempt,
    DeliveryOutcome,
    DeliveryState,
    DeliveryWithAttempts,
    StoredEvent,
)

DUE_STATES = (DeliveryState.PENDING, DeliveryState.RETRYING)
FINAL_STATES = (DeliveryState.SENT, DeliveryState.FAILED, DeliveryState.SUPPRESSED)
OLDEST_FIRST = KeysetOrder((Delivery.created_at, Delivery.id))


async def store_event(session: AsyncSession, event: StoredEvent) -> None:
    """Insert the event unless it is already stored (the same event ingested again)."""
    await session.execute(
        insert(StoredEvent)
        .values(
            id=event.id,
            type=event.type,
            source=event.source,
            subject=event.subject,
            time=event.time,
            data=event.data,
        )
        .on_conflict_do_nothing()
    )


async def events_by_id(session: AsyncSession, ids: Sequence[UUID]) -> dict[UUID, StoredEvent]:
    if not ids:
        return {}
    events = await session.scalars(select(StoredEvent).where(StoredEvent.id.in_(set(ids))))
    return {event.id: event for event in events}


async def events_since(session: AsyncSession, since: datetime, limit: int) -> list[StoredEvent]:
    statement = (
        select(StoredEvent)
        .where(StoredEvent.time >= since)
        .order_by(StoredEvent.time, StoredEvent.id)
        .limit(limit)
    )
    return list((await session.scalars(statement)).all())


def _values(delivery: Delivery) -> dict[str, Any]:
    """The columns a new delivery sets (the others have server defaults)."""
    return {
        "id": delivery.id,
        "channel": delivery.channel,
        "event_id": delivery.event_id,
        "event_type": delivery.event_type,
        "subject": delivery.subject,
        "template": delivery.template,
        "recipient": delivery.recipient,
        "endpoint_id": delivery.endpoint_id,
        "state": delivery.state,
        "next_attempt_at": delivery.next_attempt_at,
        "next_trigger": delivery.next_trigger,
        "message_id": delivery.message_id,
        "created_at": delivery.created_at,
        "updated_at": delivery.updated_at,
    }


async def save(session: AsyncSession, delivery: Delivery) -> None:
    """Insert a new delivery or write what changed on a loaded one (its version checked
    and bumped)."""
    session.add(delivery)
    await session.flush()


async def insert_new(session: AsyncSession, deliveries: Sequence[Delivery]) -> list[UUID]:
    """Insert what is new; an (event, template, recipient) already there is left alone."""
    if not deliveries:
        return []
    result = await session.execute(
        insert(Delivery)
        .values([_values(delivery) for delivery in deliveries])
        .on_conflict_do_nothing()
        .returning(Delivery.id)
    )
    return list(result.scalars())


async def insert_or_requeue(
    session: AsyncSession, deliveries: Sequence[Delivery], now: datetime
) -> list[UUID]:
    """Insert new deliveries and put the existing ones back in the queue (a replay), except
    one being sent right now."""
    if not deliveries:
        return []
    statement = insert(Delivery).values([_values(delivery) for delivery in deliveries])
    result = await session.execute(
        statement.on_conflict_do_update(
            index_elements=[Delivery.event_id, Delivery.template, Delivery.recipient],
            set_={
                "state": DeliveryState.PENDING,
                "next_attempt_at": now,
                "next_trigger": statement.excluded.next_trigger,
                "updated_at": now,
                "version": Delivery.version + 1,
            },
            where=Delivery.state != DeliveryState.SENDING,
        ).returning(Delivery.id)
    )
    return list(result.scalars())


async def get(
    session: AsyncSession, delivery_id: UUID, *, for_update: bool = False
) -> Delivery | None:
    statement = select(Delivery).where(Delivery.id == delivery_id)
    if for_update:
        statement = statement.with_for_update()
    return (await session.scalars(statement)).one_or_none()


async def attempts_of(
    session: AsyncSession, delivery_ids: Sequence[UUID]
) -> dict[UUID, list[DeliveryAttempt]]:
    found: dict[UUID, list[DeliveryAttempt]] = {i: [] for i in delivery_ids}
    if not delivery_ids:
        return found
    attempts = await session.scalars(
        select(DeliveryAttempt)
        .where(DeliveryAttempt.delivery_id.in_(list(delivery_ids)))
        .order_by(DeliveryAttempt.id)
    )
    for attempt in attempts:
        found[attempt.delivery_id].append(attempt)
    return found


async def _page_with_attempts(
    session: AsyncSession, statement: Select[Delivery], page: PageRequest
) -> Paged[DeliveryWithAttempts]:
    paged = await paginate(session, statement, OLDEST_FIRST, page)
    attempts = await attempts_of(session, [delivery.id for delivery in paged.items])
    items = [DeliveryWithAttempts(d, attempts[d.id]) for d in paged.items]
    return Paged(items, paged.next_cursor)


async def about_subject(
    session: AsyncSession, subject: str, page: PageRequest, services: frozenset[str] | None
) -> Paged[DeliveryWithAttempts]:
    """`services`: only the deliveries of these services' events (None: all)."""
    statement = select(Delivery).where(Delivery.subject == subject)
    if services is not None:
        statement = statement.where(
            func.split_part(Delivery.event_type, ".", 1).in_(sorted(services))
        )
    return await _page_with_attempts(session, statement, page)


async def to_endpoint(
    session: AsyncSession, endpoint_id: UUID, page: PageRequest
) -> Paged[DeliveryWithAttempts]:
    statement = select(Delivery).where(Delivery.endpoint_id == endpoint_id)
    return await _page_with_attempts(session, statement, page)


# --- the sender's bulk statements: each bumps the version of what it changes -------------


async def recover_expired_leases(session: AsyncSession, now: datetime) -> None:
    """A sender that died mid-send leaves `sending` rows; after their lease they go back."""
    await session.execute(
        update(Delivery)
        .where(Delivery.state == DeliveryState.SENDING, Delivery.next_attempt_at <= now)
        .values(
            state=DeliveryState.RETRYING,
            last_error="sender lease expired before the outcome was recorded",
            updated_at=now,
            version=Delivery.version + 1,
        )
        .execution_options(synchronize_session=False)
    )


async def claim_due(
    session: AsyncSession, now: datetime, lease_until: datetime, limit: int
) -> list[Delivery]:
    """Mark due deliveries `sending` until `lease_until`; other senders skip them."""
    due = (
        select(Delivery.id)
        .where(Delivery.state.in_(DUE_STATES), Delivery.next_attempt_at <= now)
        .order_by(Delivery.next_attempt_at)
        .limit(limit)
        .with_for_update(skip_locked=True)
        .cte("due")
    )
    claimed = await session.scalars(
        update(Delivery)
        .where(Delivery.id == due.c.id)
        .values(
            state=DeliveryState.SENDING,
            next_attempt_at=lease_until,
            updated_at=now,
            version=Delivery.version + 1,
        )
        .returning(Delivery)
        .execution_options(synchronize_session=False)
    )
    return list(claimed.all())


async def record_outcomes(
    session: AsyncSession, outcomes: Sequence[DeliveryOutcome], now: datetime
) -> None:
    """One executemany for the deliveries, one insert for their attempts. The next attempt
    is the schedule's again, whoever asked for this one."""
    if not outcomes:
        return
    statement = (
        update(Delivery)
        .where(Delivery.id == bindparam("b_id"))
        .values(
            state=bindparam("b_state"),
            attempts=Delivery.attempts + bindparam("b_tried"),
            next_attempt_at=bindparam("b_next_attempt_at"),
            last_error=bindparam("b_last_error"),
            sent_at=func.coalesce(
                bindparam("b_sent_at", type_=DateTime(timezone=True)), Delivery.sent_at
            ),
            next_trigger=AttemptTrigger.SCHEDULED,
            updated_at=now,
            version=Delivery.version + 1,
        )
    )
    parameters = [
        {
            "b_id": outcome.delivery.id,
            "b_state": outcome.state,
            "b_tried": 0 if outcome.attempt is None else 1,
            "b_next_attempt_at": outcome.next_attempt_at,
            "b_last_error": outcome.error,
            "b_sent_at": outcome.sent_at,
        }
        for outcome in outcomes
    ]
    # Core executemany on the session's connection: the ORM's own bulk UPDATE takes no
    # WHERE criteria with per-row parameters.
    connection = await session.connection()
    await connection.execute(statement, parameters)
    attempts = [outcome.attempt for outcome in outcomes if outcome.attempt is not None]
    if attempts:
        session.add_all(attempts)
        await session.flush()


async def suppress_queued_to_endpoint(
    session: AsyncSession, endpoint_id: UUID, reason: str, now: datetime
) -> None:
    await session.execute(
        update(Delivery)
        .where(Delivery.endpoint_id == endpoint_id, Delivery.state.in_(DUE_STATES))
        .values(
            state=DeliveryState.SUPPRESSED,
            last_error=reason,
            updated_at=now,
            version=Delivery.version + 1,
        )
        .execution_options(synchronize_session=False)
    )


async def hard_bounced(session: AsyncSession, recipients: Sequence[str]) -> set[str]:
    """Addresses among `recipients` whose mailbox a server refused outright before."""
    if not recipients:
        return set()
    found = await session.scalars(
        select(Delivery.recipient)
        .join(DeliveryAttempt, DeliveryAttempt.delivery_id == Delivery.id)
        .where(
            Delivery.channel == Channel.EMAIL,
            Delivery.recipient.in_(set(recipients)),
            DeliveryAttempt.status_code.in_(HARD_BOUNCE_CODES),
        )
        .distinct()
    )
    return set(found)


async def purge_before(session: AsyncSession, before: datetime) -> tuple[int, int]:
    """Delete finished deliveries (with their attempts) last touched before `before`, then
    stored events older than that which no delivery needs any more."""
    finished = (Delivery.state.in_(FINAL_STATES), Delivery.updated_at < before)
    await session.execute(
        delete(DeliveryAttempt)
        .where(DeliveryAttempt.delivery_id.in_(select(Delivery.id).where(*finished)))
        .execution_options(synchronize_session=False)
    )
    deliveries = await session.scalars(
        delete(Delivery)
        .where(*finished)
        .returning(Delivery.id)
        .execution_options(synchronize_session=False)
    )
    purged_deliveries = len(deliveries.all())
    events = await session.scalars(
        delete(StoredEvent)
        .where(
            StoredEvent.time < before,
            ~exists().where(Delivery.event_id == StoredEvent.id),
        )
        .returning(StoredEvent.id)
        .execution_options(synchronize_session=False)
    )
    return purged_deliveries, len(events.all())
