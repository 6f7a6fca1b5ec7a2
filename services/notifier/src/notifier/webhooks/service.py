"""Webhook endpoints: create (secret shown once), change, rotate, disable and enable,
redeliver, replay, and their health as the sender reports it. Builds on deliveries."""

from __future__ import annotations

import re
from collections.abc import Collection
from datetime import datetime, timedelta
from fnmatch import fnmatchcase
from uuid import UUID

from sqlalchemy.ext.asyncio import AsyncSession

from guichet_common.events import new_event_id
from guichet_common.http import Conflict, InvalidInput, NotFound, check_if_match
from guichet_common.pagination import Paged, PageRequest
from notifier.deliveries import service as deliveries
from notifier.deliveries.models import AttemptTrigger, DeliveryWithAttempts
from notifier.events import WebhookEndpointDisabledV1, outbox
from notifier.settings import NotifierSettings
from notifier.webhooks import repository
from notifier.webhooks.models import WebhookEndpoint
from notifier.webhooks.schemas import EVENT_TYPE_PATTERN, WebhookCreate, WebhookUpdate
from notifier.webhooks.signing import new_secret
from notifier.webhooks.ssrf import UnsafeDestination, check_destination

REPLAY_LIMIT = 10_000

_PATTERN_CHECK = re.compile(EVENT_TYPE_PATTERN)


def accepts(endpoint: WebhookEndpoint, event_type: str) -> bool:
    """Patterns are shell-style: `garage.*` takes every garage event, `*` everything."""
    return any(fnmatchcase(event_type, pattern) for pattern in endpoint.event_types)


async def _check_url(url: str, settings: NotifierSettings) -> None:
    try:
        await check_destination(url, allow_private=settings.webhooks_allow_private)
    except UnsafeDestination as exc:
        raise InvalidInput(str(exc), field="url") from exc


def _check_patterns(patterns: list[str]) -> None:
    for pattern in patterns:
        if not _PATTERN_CHECK.match(pattern):
            raise InvalidInput(f"{pattern!r} is not an event type pattern", field="event_types")


def _check_enabled(endpoint: WebhookEndpoint) -> None:
    if endpoint.disabled_at is not None:
        raise Conflict("the endpoint is disabled; enable it first", allowed_actions=["enable"])


async def create_endpoint(
    session: AsyncSession, data: WebhookCreate, settings: NotifierSettings, now: datetime
) -> WebhookEndpoint:
    url = str(data.url)
    await _check_url(url, settings)
    _check_patterns(data.event_types)
    endpoint = WebhookEndpoint(
        id=new_event_id(),
        url=url,
        event_types=data.event_types,
        description=data.description,
        owner_email=data.owner_email,
        secret=new_secret(),
        created_at=now,
    )
    await repository.save(session, endpoint)
    return endpoint


async def get_endpoint(
    session: AsyncSession, endpoint_id: UUID, *, for_update: bool = False
) -> WebhookEndpoint:
    endpoint = await repository.get(session, endpoint_id, for_update=for_update)
    if endpoint is None:
        raise NotFound(f"no webhook endpoint {endpoint_id}")
    return endpoint


async def list_endpoints(session: AsyncSession, page: PageRequest) -> Paged[WebhookEndpoint]:
    return await repository.list_endpoints(session, page)


async def update_endpoint(
    session: AsyncSession,
    endpoint_id: UUID,
    data: WebhookUpdate,
    settings: NotifierSettings,
    *,
    if_match: str | None,
) -> WebhookEndpoint:
    """Changes the URL (checked against SSRF again), patterns, description or owner."""
    endpoint = await get_endpoint(session, endpoint_id, for_update=True)
    check_if_match(if_match, endpoint.version)
    sent = data.model_fields_set
    for required in ("url", "event_types", "description"):
        if required in sent and getattr(data, required) is None:
            raise InvalidInput(f"{required} cannot be null", field=required)
    if "url" in sent and data.url is not None:
        url = str(data.url)
        await _check_url(url, settings)
        endpoint.url = url
    if "event_types" in sent and data.event_types is not None:
        _check_patterns(data.event_types)
        endpoint.event_types = data.event_types
    if "description" in sent and data.description is not None:
        endpoint.description = data.description
    if "owner_email" in sent:
        endpoint.owner_email = data.owner_email
    await repository.save(session, endpoint)
    return endpoint


async def delete_endpoint(
    session: AsyncSession, endpoint_id: UUID, *, if_match: str | None, now: datetime
) -> None:
    """Queued deliveries to it are suppressed; its past deliveries stay in the timelines."""
    endpoint = await get_endpoint(session, endpoint_id, for_update=True)
    check_if_match(if_match, endpoint.version)
    await deliveries.suppress_queued_to_endpoint(session, endpoint.id, "endpoint deleted", now)
    await repository.delete(session, endpoint)


async def rotate_secret(
    session: AsyncSession,
    endpoint_id: UUID,
    settings: NotifierSettings,
    *,
    if_match: str | None,
    now: datetime,
) -> WebhookEndpoint:
    """The new secret signs from now on; the old one keeps signing beside it during the
    overlap, so receivers can switch without losing a message."""
    endpoint = await get_endpoint(session, endpoint_id, for_update=True)
    check_if_match(if_match, endpoint.version)
    endpoint.previous_secret = endpoint.secret
    endpoint.previous_secret_expires_at = now + timedelta(
        hours=settings.webhook_secret_overlap_hours
    )
    endpoint.secret = new_secret()
    await repository.save(session, endpoint)
    return endpoint


async def enable_endpoint(
    session: AsyncSession, endpoint_id: UUID, *, if_match: str | None
) -> WebhookEndpoint:
    """Deliveries flow again, with a fresh failure clock."""
    endpoint = await get_endpoint(session, endpoint_id, for_update=True)
    check_if_match(if_match, endpoint.version)
    endpoint.disabled_at = None
    endpoint.disabled_reason = None
    endpoint.failing_since = None
    await repository.save(session, endpoint)
    return endpoint


async def disable_endpoint(
    session: AsyncSession, endpoint: WebhookEndpoint, reason: str, now: datetime
) -> None:
    """Stops deliveries to it, and tells its owner (through this service's own event)."""
    endpoint.disabled_at = now
    endpoint.disabled_reason = reason
    await repository.save(session, endpoint)
    await deliveries.suppress_queued_to_endpoint(
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


async def delivery_log(
    session: AsyncSession, endpoint_id: UUID, page: PageRequest
) -> Paged[DeliveryWithAttempts]:
    await get_endpoint(session, endpoint_id)
    return await deliveries.endpoint_log(session, endpoint_id, page)


async def redeliver(
    session: AsyncSession,
    endpoint_id: UUID,
    delivery_id: UUID,
    *,
    if_match: str | None,
    now: datetime,
) -> DeliveryWithAttempts:
    """One delivery sent again now, whatever its state, with the same webhook-id."""
    endpoint = await get_endpoint(session, endpoint_id)
    delivery = await deliveries.get(session, delivery_id, for_update=True)
    if delivery.endpoint_id != endpoint.id:
        raise NotFound(f"no delivery {delivery_id} for this endpoint")
    check_if_match(if_match, delivery.version)
    _check_enabled(endpoint)
    return await deliveries.redeliver(session, delivery, now)


async def replay(session: AsyncSession, endpoint_id: UUID, since: datetime, now: datetime) -> int:
    """Every stored event since `since` that the endpoint subscribes to goes out again
    (or for the first time, e.g. events from before the endpoint existed)."""
    endpoint = await get_endpoint(session, endpoint_id)
    _check_enabled(endpoint)
    if since.tzinfo is None:
        raise InvalidInput("since needs a timezone (e.g. 2026-11-22T10:00:00Z)", field="since")
    events = await deliveries.events_since(session, since, REPLAY_LIMIT)
    wanted = [
        deliveries.new_webhook(event, endpoint.id, now, AttemptTrigger.MANUAL)
        for event in events
        if accepts(endpoint, event.type)
    ]
    return len(await deliveries.add_or_requeue(session, wanted, now))


# --- what the ingestion and the sender need ------------------------------------------------


async def endpoints_for(session: AsyncSession, event_type: str) -> list[WebhookEndpoint]:
    """The enabled endpoints that subscribe to `event_type`."""
    return [e for e in await repository.enabled(session) if accepts(e, event_type)]


async def endpoints_by_id(
    session: AsyncSession, ids: Collection[UUID]
) -> dict[UUID, WebhookEndpoint]:
    return await repository.by_id(session, ids)


async def record_health(
    session: AsyncSession,
    settings: NotifierSettings,
    *,
    healthy: set[UUID],
    failing: set[UUID],
    gone: set[UUID],
    now: datetime,
) -> None:
    """What the sender saw of endpoints: a success ends a failure streak (unless another
    delivery failed in the same batch), a failure starts one, and an endpoint is disabled
    after `NOTIFIER_WEBHOOK_DISABLE_AFTER_DAYS` of failing or on a 410 Gone."""
    await repository.mark_healthy(session, healthy - failing)
    limit = timedelta(days=settings.webhook_disable_after_days)
    for endpoint in await repository.mark_failing(session, failing, now):
        since = endpoint.failing_since
        if endpoint.disabled_at is None and since is not None and since <= now - limit:
            reason = f"failing continuously since {since.isoformat()}"
            await disable_endpoint(session, endpoint, reason, now)
    for endpoint_id in gone:
        answered_gone = await repository.get(session, endpoint_id, for_update=True)
        if answered_gone is not None and answered_gone.disabled_at is None:
            await disable_endpoint(session, answered_gone, "the endpoint answered 410 Gone", now)
