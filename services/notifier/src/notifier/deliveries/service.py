"""Turning events into deliveries, and the timeline of deliveries about a subject."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.utils import parseaddr
from fnmatch import fnmatchcase
from typing import Any
from uuid import UUID

from sqlalchemy import Row
from sqlalchemy.ext.asyncio import AsyncSession

from guichet_common.events import Envelope, new_event_id
from guichet_common.http import Conflict, NotFound
from notifier.deliveries import repository
from notifier.deliveries.models import AttemptTrigger, Channel, DeliveryState
from notifier.rules.catalogue import rules_for
from notifier.settings import NotifierSettings
from notifier.webhooks import repository as webhooks_repository

WEBHOOK_TEMPLATE = "webhook"


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
    # Standard Webhooks: the same id on every retry, no dots.
    return f"msg_{event_id.hex}"


def endpoint_accepts(event_types: list[str], event_type: str) -> bool:
    """Patterns are shell-style: `garage.*` takes every garage event, `*` everything."""
    return any(fnmatchcase(event_type, pattern) for pattern in event_types)


def email_rows(
    event: dict[str, Any], settings: NotifierSettings, now: datetime, trigger: str
) -> list[dict[str, Any]]:
    rows = []
    for rule in rules_for(event["type"]):
        for recipient in dict.fromkeys(rule.audience.resolve(event["data"], settings)):
            rows.append(
                _row(event, Channel.EMAIL, rule.template, recipient.lower(), None, now, trigger)
                | {"message_id": new_message_id(settings)}
            )
    return rows


def webhook_row(
    event: dict[str, Any], endpoint_id: UUID, now: datetime, trigger: str
) -> dict[str, Any]:
    return _row(
        event, Channel.WEBHOOK, WEBHOOK_TEMPLATE, str(endpoint_id), endpoint_id, now, trigger
    ) | {"message_id": webhook_message_id(event["id"])}


def _row(
    event: dict[str, Any],
    channel: Channel,
    template: str,
    recipient: str,
    endpoint_id: UUID | None,
    now: datetime,
    trigger: str,
) -> dict[str, Any]:
    return {
        "id": new_event_id(),
        "channel": channel,
        "event_id": event["id"],
        "event_type": event["type"],
        "subject": event["subject"],
        "template": template,
        "recipient": recipient,
        "endpoint_id": endpoint_id,
        "state": DeliveryState.PENDING,
        "next_attempt_at": now,
        "next_trigger": trigger,
        "created_at": now,
        "updated_at": now,
    }


async def ingest_event(
    session: AsyncSession, envelope: Envelope, settings: NotifierSettings, now: datetime
) -> list[UUID]:
    """Stores the event and its deliveries in the caller's transaction (the inbox's):
    the unique (event, template, recipient) makes a second ingestion insert nothing."""
    event = {
        "id": envelope.id,
        "type": envelope.type,
        "source": envelope.source,
        "subject": envelope.subject,
        "time": envelope.time,
        "data": envelope.data,
    }
    await repository.store_event(session, event)
    rows = email_rows(event, settings, now, AttemptTrigger.SCHEDULED)
    for endpoint in await webhooks_repository.enabled_endpoints(session):
        if endpoint_accepts(endpoint.event_types, envelope.type):
            rows.append(webhook_row(event, endpoint.id, now, AttemptTrigger.SCHEDULED))
    return await repository.insert_deliveries(session, rows)


@dataclass(frozen=True)
class DeliveryWithAttempts:
    delivery: Row[Any]
    attempts: list[Row[Any]]


async def timeline(
    session: AsyncSession,
    *,
    subject: str | None,
    endpoint_id: UUID | None,
    after: tuple[datetime, UUID] | None,
    limit: int,
) -> list[DeliveryWithAttempts]:
    rows = await repository.list_deliveries(
        session, subject=subject, endpoint_id=endpoint_id, after=after, limit=limit
    )
    attempts = await repository.attempts_of(session, [row.id for row in rows])
    return [DeliveryWithAttempts(row, attempts[row.id]) for row in rows]


async def get_with_attempts(session: AsyncSession, delivery_id: UUID) -> DeliveryWithAttempts:
    row = await repository.get_delivery(session, delivery_id)
    if row is None:
        raise NotFound(f"no delivery {delivery_id}")
    attempts = await repository.attempts_of(session, [row.id])
    return DeliveryWithAttempts(row, attempts[row.id])


async def retry_failed(
    session: AsyncSession, delivery_id: UUID, now: datetime
) -> DeliveryWithAttempts:
    """A person retries a failed (or suppressed) delivery: it goes out again, same ids."""
    row = await repository.get_delivery(session, delivery_id)
    if row is None:
        raise NotFound(f"no delivery {delivery_id}")
    if row.state not in (DeliveryState.FAILED, DeliveryState.SUPPRESSED):
        raise Conflict(
            f"delivery is {row.state}; only a failed or suppressed one can be retried",
            allowed_actions=[],
        )
    await repository.requeue(session, delivery_id, now, AttemptTrigger.MANUAL)
    return await get_with_attempts(session, delivery_id)


async def redeliver(
    session: AsyncSession, delivery_id: UUID, now: datetime
) -> DeliveryWithAttempts:
    """Sends a delivery again whatever its outcome (a receiver lost it): same webhook-id."""
    row = await repository.requeue(session, delivery_id, now, AttemptTrigger.MANUAL)
    if row is None:
        found = await repository.get_delivery(session, delivery_id)
        if found is None:
            raise NotFound(f"no delivery {delivery_id}")
        raise Conflict("the delivery is being sent right now; try again in a moment")
    return await get_with_attempts(session, delivery_id)


async def purge(
    session: AsyncSession, settings: NotifierSettings, now: datetime
) -> tuple[int, int]:
    """Personal data is kept `NOTIFIER_RETENTION_DAYS`: replay reaches no further back."""
    return await repository.purge_before(session, now - timedelta(days=settings.retention_days))
