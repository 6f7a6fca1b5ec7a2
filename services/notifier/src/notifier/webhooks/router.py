"""`/webhooks`: endpoints, their delivery log, redeliver and replay (people with the admin
role only: no API key manages where events go)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Query, Response

from guichet_common.events import utcnow
from guichet_common.http import PRECONDITION_RESPONSES, PROBLEM, IfMatch, SessionDep, etag_for
from guichet_common.pagination import Page, PageParams
from notifier.deliveries.schemas import DeliveryOut
from notifier.deps import Admin, SettingsDep
from notifier.webhooks import service
from notifier.webhooks.schemas import (
    ReplayResult,
    WebhookCreate,
    WebhookOut,
    WebhookUpdate,
    WebhookWithSecret,
)

router = APIRouter(prefix="/webhooks", tags=["webhooks"])

# A write to an existing endpoint or delivery: not found, or read before it last changed.
WRITE_RESPONSES: dict[int | str, dict[str, Any]] = {404: PROBLEM, **PRECONDITION_RESPONSES}


@router.post("", response_model=WebhookWithSecret, status_code=201, responses={422: PROBLEM})
async def create_webhook(
    body: WebhookCreate,
    response: Response,
    session: SessionDep,
    settings: SettingsDep,
    _admin: Admin,
) -> WebhookWithSecret:
    """The response carries the signing secret: store it now, it is never shown again."""
    endpoint = await service.create_endpoint(session, body, settings, utcnow())
    response.headers["ETag"] = etag_for(endpoint.version)
    return WebhookWithSecret.model_validate(endpoint)


@router.get("", response_model=Page[WebhookOut])
async def list_webhooks(page: PageParams, session: SessionDep, _admin: Admin) -> Page[WebhookOut]:
    return Page.of(await service.list_endpoints(session, page), WebhookOut.model_validate)


@router.get("/{endpoint_id}", response_model=WebhookOut, responses={404: PROBLEM})
async def get_webhook(
    endpoint_id: UUID, response: Response, session: SessionDep, _admin: Admin
) -> WebhookOut:
    endpoint = await service.get_endpoint(session, endpoint_id)
    response.headers["ETag"] = etag_for(endpoint.version)
    return WebhookOut.model_validate(endpoint)


@router.patch(
    "/{endpoint_id}", response_model=WebhookOut, responses={**WRITE_RESPONSES, 422: PROBLEM}
)
async def update_webhook(
    endpoint_id: UUID,
    body: WebhookUpdate,
    response: Response,
    session: SessionDep,
    settings: SettingsDep,
    _admin: Admin,
    if_match: IfMatch = None,
) -> WebhookOut:
    """Changes the URL (checked against SSRF again), patterns, description or owner.
    Needs the ETag read with `If-Match`."""
    endpoint = await service.update_endpoint(
        session, endpoint_id, body, settings, if_match=if_match
    )
    response.headers["ETag"] = etag_for(endpoint.version)
    return WebhookOut.model_validate(endpoint)


@router.delete("/{endpoint_id}", status_code=204, responses=WRITE_RESPONSES)
async def delete_webhook(
    endpoint_id: UUID, session: SessionDep, _admin: Admin, if_match: IfMatch = None
) -> Response:
    """What is still queued to it is not sent. Needs the ETag read with `If-Match`."""
    await service.delete_endpoint(session, endpoint_id, if_match=if_match, now=utcnow())
    return Response(status_code=204)


@router.post(
    "/{endpoint_id}/rotate-secret", response_model=WebhookWithSecret, responses=WRITE_RESPONSES
)
async def rotate_webhook_secret(
    endpoint_id: UUID,
    response: Response,
    session: SessionDep,
    settings: SettingsDep,
    _admin: Admin,
    if_match: IfMatch = None,
) -> WebhookWithSecret:
    """A new secret, shown once. The old one keeps signing beside it during the overlap
    (`NOTIFIER_WEBHOOK_SECRET_OVERLAP_HOURS`, 24 h by default). Needs `If-Match`."""
    endpoint = await service.rotate_secret(
        session, endpoint_id, settings, if_match=if_match, now=utcnow()
    )
    response.headers["ETag"] = etag_for(endpoint.version)
    return WebhookWithSecret.model_validate(endpoint)


@router.post("/{endpoint_id}/enable", response_model=WebhookOut, responses=WRITE_RESPONSES)
async def enable_webhook(
    endpoint_id: UUID,
    response: Response,
    session: SessionDep,
    _admin: Admin,
    if_match: IfMatch = None,
) -> WebhookOut:
    """A disabled endpoint receives events again. Needs the ETag read with `If-Match`."""
    endpoint = await service.enable_endpoint(session, endpoint_id, if_match=if_match)
    response.headers["ETag"] = etag_for(endpoint.version)
    return WebhookOut.model_validate(endpoint)


@router.get("/{endpoint_id}/deliveries", response_model=Page[DeliveryOut], responses={404: PROBLEM})
async def list_webhook_deliveries(
    endpoint_id: UUID, page: PageParams, session: SessionDep, _admin: Admin
) -> Page[DeliveryOut]:
    """The delivery log: every delivery to this endpoint with every attempt."""
    return Page.of(await service.delivery_log(session, endpoint_id, page), DeliveryOut.of)


@router.post(
    "/{endpoint_id}/deliveries/{delivery_id}/redeliver",
    response_model=DeliveryOut,
    status_code=202,
    responses={**WRITE_RESPONSES, 409: PROBLEM},
)
async def redeliver_webhook(
    endpoint_id: UUID,
    delivery_id: UUID,
    response: Response,
    session: SessionDep,
    _admin: Admin,
    if_match: IfMatch = None,
) -> DeliveryOut:
    """Queues the delivery again now, whatever its state, with the same webhook-id.
    Needs the delivery's ETag with `If-Match`."""
    found = await service.redeliver(
        session, endpoint_id, delivery_id, if_match=if_match, now=utcnow()
    )
    response.headers["ETag"] = etag_for(found.delivery.version)
    return DeliveryOut.of(found)


@router.post(
    "/{endpoint_id}/replay",
    response_model=ReplayResult,
    status_code=202,
    responses={404: PROBLEM, 409: PROBLEM, 422: PROBLEM},
)
async def replay_webhook(
    endpoint_id: UUID,
    since: Annotated[datetime, Query(description="ISO 8601 with a timezone")],
    session: SessionDep,
    _admin: Admin,
) -> ReplayResult:
    """Every stored event since `since` that the endpoint subscribes to is sent again."""
    return ReplayResult(requeued=await service.replay(session, endpoint_id, since, utcnow()))
