"""`/webhooks`: endpoints, their delivery log, redeliver and replay (role admin)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Header, Query, Response

from guichet_common.events import utcnow
from guichet_common.http import SessionDep, decode_cursor, encode_cursor, etag_for
from notifier.deliveries import service as deliveries_service
from notifier.deliveries.router import after_cursor, page_of
from notifier.deliveries.schemas import DeliveryOut, DeliveryPage
from notifier.http import AdminDep, SettingsDep
from notifier.webhooks import service
from notifier.webhooks.schemas import (
    ReplayResult,
    WebhookCreate,
    WebhookOut,
    WebhookPage,
    WebhookUpdate,
    WebhookWithSecret,
)

router = APIRouter(prefix="/webhooks", tags=["webhooks"])


def _out(row: Any) -> WebhookOut:
    return WebhookOut.model_validate(row._asdict())


@router.post("", response_model=WebhookWithSecret, status_code=201)
async def create_webhook(
    session: SessionDep, _admin: AdminDep, settings: SettingsDep, body: WebhookCreate
) -> WebhookWithSecret:
    """The response carries the signing secret: store it now, it is never shown again."""
    row = await service.create_endpoint(session, body, settings, utcnow())
    return WebhookWithSecret.model_validate(row._asdict())


@router.get("", response_model=WebhookPage)
async def list_webhooks(
    session: SessionDep,
    _admin: AdminDep,
    cursor: str | None = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
) -> WebhookPage:
    after = None
    if cursor is not None:
        created_at, endpoint_id = decode_cursor(cursor, 2)
        after = (datetime.fromisoformat(created_at), UUID(endpoint_id))
    rows = await service.list_endpoints(session, after=after, limit=limit)
    next_cursor = None
    if len(rows) == limit:
        next_cursor = encode_cursor([rows[-1].created_at.isoformat(), str(rows[-1].id)])
    return WebhookPage(items=[_out(r) for r in rows], next_cursor=next_cursor)


@router.get("/{endpoint_id}", response_model=WebhookOut)
async def get_webhook(
    session: SessionDep, _admin: AdminDep, endpoint_id: UUID, response: Response
) -> WebhookOut:
    row = await service.get_endpoint(session, endpoint_id)
    response.headers["ETag"] = etag_for(row.version)
    return _out(row)


@router.patch("/{endpoint_id}", response_model=WebhookOut)
async def update_webhook(
    session: SessionDep,
    _admin: AdminDep,
    settings: SettingsDep,
    endpoint_id: UUID,
    body: WebhookUpdate,
    response: Response,
    if_match: Annotated[str | None, Header()] = None,
) -> WebhookOut:
    """Changes the URL (checked against SSRF again), patterns, description or owner."""
    row = await service.update_endpoint(session, endpoint_id, body, if_match, settings)
    response.headers["ETag"] = etag_for(row.version)
    return _out(row)


@router.delete("/{endpoint_id}", status_code=204)
async def delete_webhook(session: SessionDep, _admin: AdminDep, endpoint_id: UUID) -> Response:
    await service.delete_endpoint(session, endpoint_id, utcnow())
    return Response(status_code=204)


@router.post("/{endpoint_id}/rotate-secret", response_model=WebhookWithSecret)
async def rotate_webhook_secret(
    session: SessionDep, _admin: AdminDep, settings: SettingsDep, endpoint_id: UUID
) -> WebhookWithSecret:
    """A new secret, shown once. The old one keeps signing beside it during the overlap
    (`NOTIFIER_WEBHOOK_SECRET_OVERLAP_HOURS`, 24 h by default)."""
    row = await service.rotate_secret(session, endpoint_id, settings, utcnow())
    return WebhookWithSecret.model_validate(row._asdict())


@router.post("/{endpoint_id}/enable", response_model=WebhookOut)
async def enable_webhook(session: SessionDep, _admin: AdminDep, endpoint_id: UUID) -> WebhookOut:
    return _out(await service.enable_endpoint(session, endpoint_id))


@router.get("/{endpoint_id}/deliveries", response_model=DeliveryPage)
async def list_webhook_deliveries(
    session: SessionDep,
    _admin: AdminDep,
    endpoint_id: UUID,
    cursor: str | None = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
) -> DeliveryPage:
    """The delivery log: every delivery to this endpoint with every attempt."""
    await service.get_endpoint(session, endpoint_id)
    found = await deliveries_service.timeline(
        session, subject=None, endpoint_id=endpoint_id, after=after_cursor(cursor), limit=limit
    )
    return page_of(found, limit)


@router.post(
    "/{endpoint_id}/deliveries/{delivery_id}/redeliver",
    response_model=DeliveryOut,
    status_code=202,
)
async def redeliver_webhook(
    session: SessionDep, _admin: AdminDep, endpoint_id: UUID, delivery_id: UUID
) -> DeliveryOut:
    """Queues the delivery again now, whatever its state, with the same webhook-id."""
    found = await service.redeliver(session, endpoint_id, delivery_id, utcnow())
    return DeliveryOut.build(found.delivery, found.attempts)


@router.post("/{endpoint_id}/replay", response_model=ReplayResult, status_code=202)
async def replay_webhook(
    session: SessionDep,
    _admin: AdminDep,
    endpoint_id: UUID,
    since: Annotated[datetime, Query(description="ISO 8601 with a timezone")],
) -> ReplayResult:
    """Every stored event since `since` that the endpoint subscribes to is sent again."""
    return ReplayResult(requeued=await service.replay(session, endpoint_id, since, utcnow()))
