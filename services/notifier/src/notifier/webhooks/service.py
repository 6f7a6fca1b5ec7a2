"""Webhook endpoints: create (secret shown once), rotate, disable, redeliver, replay."""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from typing import Any
from uuid import UUID

from sqlalchemy import Row
from sqlalchemy.ext.asyncio import AsyncSession

from guichet_common.events import new_event_id
from guichet_common.http import Conflict, InvalidInput, NotFound, check_if_match
from notifier.deliveries import repository as deliveries_repository
from notifier.deliveries import service as deliveries_service
from notifier.deliveries.models import AttemptTrigger
from notifier.events import WebhookEndpointDisabledV1, outbox
from notifier.settings import NotifierSettings
from notifier.webhooks import repository
from notifier.webhooks.schemas import EVENT_TYPE_PATTERN, WebhookCreate, WebhookUpdate
from notifier.webhooks.signing import new_secret
from notifier.webhooks.ssrf import UnsafeDestination, check_destination

REPLAY_LIMIT = 10_000

_PATTERN_CHECK = re.compile(EVENT_TYPE_PATTERN)


async def _check_url(url: str, settings: NotifierSettings) -> None:
    try:
        await check_destination(url, allow_private=settings.webhooks_allow_private)
    except UnsafeDestination as exc:
        raise InvalidInput(str(exc), field="url") from exc


def _check_patterns(patterns: list[str]) -> None:
    for pattern in patterns:
        if not _PATTERN_CHECK.match(pattern):
            raise InvalidInput(f"{pattern!r} is not an event type pattern", field="event_types")


async def create_endpoint(
    session: AsyncSession, data: WebhookCreate, settings: NotifierSettings, now: datetime
) -> Row[Any]:
    url = str(data.url)
    await _check_url(url, settings)
    _check_patterns(data.event_types)
    return await repository.insert_endpoint(
        session,
        {
            "id": new_event_id(),
            "url": url,
            "event_types": data.event_types,
            "description": data.description,
            "owner_email": data.owner_email,
            "secret": new_secret(),
            "created_at": now,
        },
    )


async def get_endpoint(session: AsyncSession, endpoint_id: UUID) -> Row[Any]:
    row = await repository.get_endpoint(session, endpoint_id)
    if row is None:
        raise NotFound(f"no webhook endpoint {endpoint_id}")
    return row


async def update_endpoint(
    session: AsyncSession,
    endpoint_id: UUID,
    data: WebhookUpdate,
    if_match: str | None,
    settings: NotifierSettings,
) -> Row[Any]:
    row = await repository.get_endpoint(session, endpoint_id, for_update=True)
    if row is None:
        raise NotFound(f"no webhook endpoint {endpoint_id}")
    check_if_match(if_match, row.version)
    values = data.model_dump(exclude_unset=True)
    for required in ("url", "event_types", "description"):
        if required in values and values[required] is None:
            raise InvalidInput(f"{required} cannot be null", field=required)
    if "url" in values:
        values["url"] = str(data.url)
        await _check_url(values["url"], settings)
    if "event_types" in values:
        _check_patterns(values["event_types"])
    return await repository.update_endpoint(session, endpoint_id, **values, version=row.version + 1)


async def delete_endpoint(session: AsyncSession, endpoint_id: UUID, now: datetime) -> None:
    """Queued deliveries to it are suppressed; its past deliveries stay in the timelines."""
    await get_endpoint(session, endpoint_id)
    await deliveries_repository.suppress_pending_for_endpoint(
        session, endpoint_id, "endpoint deleted", now
    )
    await repository.delete_endpoint(session, endpoint_id)


async def list_endpoints(
    session: AsyncSession, *, after: tuple[datetime, UUID] | None, limit: int
) -> list[Row[Any]]:
    return list(await repository.list_endpoints(session, after=after, limit=limit))


async def rotate_secret(
    session: AsyncSession, endpoint_id: UUID, settings: NotifierSettings, now: datetime
) -> Row[Any]:
    """The new secret signs from now on; the old one keeps signing beside it during the
    overlap, so receivers can switch without losing a message."""
    row = await repository.get_endpoint(session, endpoint_id, for_update=True)
    if row is None:
        raise NotFound(f"no webhook endpoint {endpoint_id}")
    return await repository.update_endpoint(
        session,
        endpoint_id,
        secret=new_secret(),
        previous_secret=row.secret,
        previous_secret_expires_at=now + timedelta(hours=settings.webhook_secret_overlap_hours),
        version=row.version + 1,
    )


def secrets_in_use(endpoint: Row[Any], now: datetime) -> list[str]:
    active = [endpoint.secret]
    expires = endpoint.previous_secret_expires_at
    if endpoint.previous_secret and expires is not None and expires > now:
        active.append(endpoint.previous_secret)
    return active


async def disable_endpoint(
    session: AsyncSession, endpoint: Row[Any], reason: str, now: datetime
) -> None:
    """Stops deliveries to it, and tells its owner (through this service's own event)."""
    await repository.update_endpoint(
        session, endpoint.id, disabled_at=now, disabled_reason=reason, version=endpoint.version + 1
    )
    await deliveries_repository.suppress_pending_for_endpoint(
        session, endpoint.id, f"endpoint disabled: {reason}", now
    )
    await outbox.publish(
        session,
        WebhookEndpointDisabledV1(
            endpoint_id=endpoint.id,
            url=endpoint.url,
            owner_email=endpoint.owner_email,
            reason=reason,
            disabled_at=now,
        ),
        subject=f"webhook-{endpoint.id}",
    )


async def enable_endpoint(session: AsyncSession, endpoint_id: UUID) -> Row[Any]:
    row = await get_endpoint(session, endpoint_id)
    return await repository.update_endpoint(
        session,
        row.id,
        disabled_at=None,
        disabled_reason=None,
        failing_since=None,
        version=row.version + 1,
    )


async def redeliver(
    session: AsyncSession, endpoint_id: UUID, delivery_id: UUID, now: datetime
) -> deliveries_service.DeliveryWithAttempts:
    endpoint = await get_endpoint(session, endpoint_id)
    found = await deliveries_repository.get_delivery(session, delivery_id)
    if found is None or found.endpoint_id != endpoint.id:
        raise NotFound(f"no delivery {delivery_id} for this endpoint")
    if endpoint.disabled_at is not None:
        raise Conflict("the endpoint is disabled; enable it first", allowed_actions=["enable"])
    return await deliveries_service.redeliver(session, delivery_id, now)


async def replay(session: AsyncSession, endpoint_id: UUID, since: datetime, now: datetime) -> int:
    """Every stored event since `since` that the endpoint subscribes to goes out again
    (or for the first time, e.g. events from before the endpoint existed)."""
    endpoint = await get_endpoint(session, endpoint_id)
    if endpoint.disabled_at is not None:
        raise Conflict("the endpoint is disabled; enable it first", allowed_actions=["enable"])
    if since.tzinfo is None:
        raise InvalidInput("since needs a timezone (e.g. 2026-11-22T10:00:00Z)", field="since")
    events = await deliveries_repository.events_since(session, since, REPLAY_LIMIT)
    rows = [
        deliveries_service.webhook_row(event._asdict(), endpoint.id, now, AttemptTrigger.MANUAL)
        for event in events
        if deliveries_service.endpoint_accepts(endpoint.event_types, event.type)
    ]
    requeued = await deliveries_repository.requeue_deliveries(session, rows, now)
    return len(requeued)
