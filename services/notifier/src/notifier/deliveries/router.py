"""`/deliveries`: one timeline per subject across email and webhooks; retry by hand."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Query

from guichet_common.events import utcnow
from guichet_common.http import SessionDep, decode_cursor, encode_cursor
from notifier.deliveries import service
from notifier.deliveries.schemas import DeliveryOut, DeliveryPage
from notifier.http import StaffDep

router = APIRouter(prefix="/deliveries", tags=["deliveries"])


def page_of(found: list[service.DeliveryWithAttempts], limit: int) -> DeliveryPage:
    items = [DeliveryOut.build(d.delivery, d.attempts) for d in found]
    cursor = None
    if len(found) == limit:
        last = found[-1].delivery
        cursor = encode_cursor([last.created_at.isoformat(), str(last.id)])
    return DeliveryPage(items=items, next_cursor=cursor)


def after_cursor(cursor: str | None) -> tuple[datetime, UUID] | None:
    if cursor is None:
        return None
    created_at, delivery_id = decode_cursor(cursor, 2)
    return datetime.fromisoformat(created_at), UUID(delivery_id)


@router.get("", response_model=DeliveryPage)
async def list_deliveries(
    session: SessionDep,
    _principal: StaffDep,
    subject: Annotated[str, Query(min_length=1, max_length=200, examples=["DEM-2026-0021"])],
    cursor: str | None = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
) -> DeliveryPage:
    """Every email and webhook about `subject`, oldest first, with all their attempts."""
    found = await service.timeline(
        session, subject=subject, endpoint_id=None, after=after_cursor(cursor), limit=limit
    )
    return page_of(found, limit)


@router.get("/{delivery_id}", response_model=DeliveryOut)
async def get_delivery(session: SessionDep, _principal: StaffDep, delivery_id: UUID) -> DeliveryOut:
    found = await service.get_with_attempts(session, delivery_id)
    return DeliveryOut.build(found.delivery, found.attempts)


@router.post("/{delivery_id}/retry", response_model=DeliveryOut, status_code=202)
async def retry_delivery(
    session: SessionDep, _principal: StaffDep, delivery_id: UUID
) -> DeliveryOut:
    """A failed or suppressed delivery goes out again (same Message-ID / webhook-id)."""
    found = await service.retry_failed(session, delivery_id, utcnow())
    return DeliveryOut.build(found.delivery, found.attempts)
