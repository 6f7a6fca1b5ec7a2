"""Deliveries: the event store, new deliveries and their message ids, the timeline, a
person's retry or redelivery, what the sender claims and records, the purge. Imports no
other domain: rules, webhooks and the sender build on it."""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import datetime, timedelta
from email.utils import parseaddr
from uuid import UUID

from sqlalchemy.ext.asyncio import AsyncSession

from guichet_common.events import new_event_id
from guichet_common.http import Conflict, NotFound, check_if_match
from guichet_common.pagination import Paged, PageRequest
from notifier.deliveries import repository
from notifier.deliveries.models import (
    AttemptTrigger,
    Channel,
    Delivery,
    DeliveryOutcome,
    DeliveryState,
    DeliveryWithAttempts,
    StoredEvent,
)
from notifier.deliveries.readers import Reader
from notifier.settings import NotifierSettings

WEBHOOK_TEMPLATE = "webhook"


# --- message ids -------------------------------------------------------------------------


def mail_domain(settings: NotifierSettings) -> str:
    _, address = parseaddr(settings.mail_from)
    return address.rpartition("@")[2] or "guichet.invalid"


def new_message_id(settings: NotifierSettings) -> str:
    """Made once per delivery and stored: every retry sends the same Message-ID."""
    return f"<{new_event_id().hex}@{mail_domain(settings)}>"


def thread_root_id(subject: str, settings: NotifierSettings) -> str:
    """Stable per subject (DEM-…): every mail about it points here, so clients thread them."""
    local = re.sub(r"[^A-Za-z0-9._-]", "-", subject).strip(".") or "thread"
    return f"<{local}@{mail_domain(settings)}>"


def webhook_message_id(event_id: UUID) -> str:
    # Standard Webhooks: the same id on every retry and replay, no dots.
    return f"msg_{event_id.hex}"


# --- new deliveries ----------------------------------------------------------------------


def _new(
    event: StoredEvent,
    channel: Channel,
    template: str,
    recipient: str,
    endpoint_id: UUID | None,
    message_id: str,
    now: datetime,
    trigger: AttemptTrigger,
) -> Delivery:
    return Delivery(
        id=new_event_id(),
        channel=channel,
        event_id=event.id,
        event_type=event.type,
        subject=event.subject,
        template=template,
        recipient=recipient,
        endpoint_id=endpoint_id,
        state=DeliveryState.PENDING,
        next_attempt_at=now,
        next_trigger=trigger,
        message_id=message_id,
        created_at=now,
        updated_at=now,
    )


def new_email(
    event: StoredEvent,
    template: str,
    recipient: str,
    settings: NotifierSettings,
    now: datetime,
    trigger: AttemptTrigger,
) -> Delivery:
    message_id = new_message_id(settings)
    return _new(event, Channel.EMAIL, template, recipient, None, message_id, now, trigger)


def new_webhook(
    event: StoredEvent, endpoint_id: UUID, now: datetime, trigger: AttemptTrigger
) -> Delivery:
    return _new(
        event,
        Channel.WEBHOOK,
        WEBHOOK_TEMPLATE,
        str(endpoint_id),
        endpoint_id,
        webhook_message_id(event.id),
        now,
        trigger,
    )


async def store_event(session: AsyncSession, event: StoredEvent) -> None:
    await repository.store_event(session, event)


async def add(session: AsyncSession, deliveries: Sequence[Delivery]) -> list[UUID]:
    """The new ones among `deliveries`: the unique (event, template, recipient) makes a
    second ingestion of an event insert nothing."""
    return await repository.insert_new(session, deliveries)


async def add_one(session: AsyncSession, delivery: Delivery) -> Delivery:
    """A delivery that cannot exist yet (its event is new), with its version."""
    await repository.save(session, delivery)
    return delivery


async def add_or_requeue(
    session: AsyncSession, deliveries: Sequence[Delivery], now: datetime
) -> list[UUID]:
    """A replay: new deliveries inserted, existing ones queued again now."""
    return await repository.insert_or_requeue(session, deliveries, now)


async def events_since(session: AsyncSession, since: datetime, limit: int) -> list[StoredEvent]:
    return await repository.events_since(session, since, limit)


# --- reading -----------------------------------------------------------------------------


async def get(session: AsyncSession, delivery_id: UUID, *, for_update: bool = False) -> Delivery:
    delivery = await repository.get(session, delivery_id, for_update=for_update)
    if delivery is None:
        raise NotFound(f"no delivery {delivery_id}")
    return delivery


async def with_attempts(session: AsyncSession, delivery: Delivery) -> DeliveryWithAttempts:
    attempts = await repository.attempts_of(session, [delivery.id])
    return DeliveryWithAttempts(delivery, attempts[delivery.id])


async def readable(
    session: AsyncSession, delivery_id: UUID, reader: Reader, *, for_update: bool = False
) -> Delivery:
    """The delivery, if `reader` may read it; to others it does not exist."""
    delivery = await get(session, delivery_id, for_update=for_update)
    if not reader.reads(delivery.event_type):
        raise NotFound(f"no delivery {delivery_id}")
    return delivery


async def get_with_attempts(
    session: AsyncSession, delivery_id: UUID, reader: Reader
) -> DeliveryWithAttempts:
    return await with_attempts(session, await readable(session, delivery_id, reader))


async def timeline(
    session: AsyncSession, subject: str, page: PageRequest, reader: Reader
) -> Paged[DeliveryWithAttempts]:
    """Every email and webhook about `subject` that `reader` may read, oldest first."""
    return await repository.about_subject(session, subject, page, reader.services)


async def endpoint_log(
    session: AsyncSession, endpoint_id: UUID, page: PageRequest
) -> Paged[DeliveryWithAttempts]:
    """Every delivery to a webhook endpoint, oldest first."""
    return await repository.to_endpoint(session, endpoint_id, page)


# --- a person's actions ------------------------------------------------------------------


async def _requeue(session: AsyncSession, delivery: Delivery, now: datetime) -> None:
    delivery.state = DeliveryState.PENDING
    delivery.next_attempt_at = now
    delivery.next_trigger = AttemptTrigger.MANUAL
    delivery.updated_at = now
    await repository.save(session, delivery)


async def retry(
    session: AsyncSession,
    delivery_id: UUID,
    reader: Reader,
    *,
    if_match: str | None,
    now: datetime,
) -> DeliveryWithAttempts:
    """A person retries a failed (or suppressed) delivery: it goes out again, same ids."""
    delivery = await readable(session, delivery_id, reader, for_update=True)
    check_if_match(if_match, delivery.version)
    if delivery.state not in (DeliveryState.FAILED, DeliveryState.SUPPRESSED):
        raise Conflict(
            f"delivery is {delivery.state}; only a failed or suppressed one can be retried",
            allowed_actions=[],
        )
    await _requeue(session, delivery, now)
    return await with_attempts(session, delivery)


async def redeliver(
    session: AsyncSession, delivery: Delivery, now: datetime
) -> DeliveryWithAttempts:
    """Sends a delivery again whatever its outcome (a receiver lost it), with the same ids.
    The caller locked it and checked its If-Match."""
    if delivery.state == DeliveryState.SENDING:
        raise Conflict("the delivery is being sent right now; try again in a moment")
    await _requeue(session, delivery, now)
    return await with_attempts(session, delivery)


async def suppress_queued_to_endpoint(
    session: AsyncSession, endpoint_id: UUID, reason: str, now: datetime
) -> None:
    """What waits for an endpoint that is going away is not sent; the rest stays."""
    await repository.suppress_queued_to_endpoint(session, endpoint_id, reason, now)


# --- the sender --------------------------------------------------------------------------


async def claim_due(
    session: AsyncSession, now: datetime, lease_until: datetime, limit: int
) -> list[Delivery]:
    """Due deliveries, leased to the caller until `lease_until`; first, those a dead
    sender left past their lease go back to the queue."""
    await repository.recover_expired_leases(session, now)
    return await repository.claim_due(session, now, lease_until, limit)


async def events_by_id(session: AsyncSession, ids: Sequence[UUID]) -> dict[UUID, StoredEvent]:
    return await repository.events_by_id(session, ids)


async def hard_bounced(session: AsyncSession, recipients: Sequence[str]) -> set[str]:
    return await repository.hard_bounced(session, recipients)


async def record_outcomes(
    session: AsyncSession, outcomes: Sequence[DeliveryOutcome], now: datetime
) -> None:
    await repository.record_outcomes(session, outcomes, now)


async def purge(
    session: AsyncSession, settings: NotifierSettings, now: datetime
) -> tuple[int, int]:
    """Personal data is kept `NOTIFIER_RETENTION_DAYS`: replay reaches no further back."""
    return await repository.purge_before(session, now - timedelta(days=settings.retention_days))
