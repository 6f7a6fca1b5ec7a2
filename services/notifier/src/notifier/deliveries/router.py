"""`/deliveries`: one timeline per subject across email and webhooks; retry by hand."""

from __future__ import annotations

from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Query, Response

from guichet_common.events import utcnow
from guichet_common.http import PRECONDITION_RESPONSES, IfMatch, SessionDep, etag_for
from guichet_common.pagination import Page, PageParams
from notifier.deliveries import service
from notifier.deliveries.schemas import DeliveryOut
from notifier.deps import StaffReads, StaffWrites

router = APIRouter(prefix="/deliveries", tags=["deliveries"])

PROBLEM: dict[str, Any] = {"content": {"application/problem+json": {}}}


@router.get("", response_model=Page[DeliveryOut])
async def list_deliveries(
    subject: Annotated[str, Query(min_length=1, max_length=200, examples=["DEM-2026-0021"])],
    page: PageParams,
    session: SessionDep,
    _staff: StaffReads,
) -> Page[DeliveryOut]:
    """Every email and webhook about `subject`, oldest first, with all their attempts."""
    return Page.of(await service.timeline(session, subject, page), DeliveryOut.of)


@router.get("/{delivery_id}", response_model=DeliveryOut, responses={404: PROBLEM})
async def get_delivery(
    delivery_id: UUID, response: Response, session: SessionDep, _staff: StaffReads
) -> DeliveryOut:
    found = await service.get_with_attempts(session, delivery_id)
    response.headers["ETag"] = etag_for(found.delivery.version)
    return DeliveryOut.of(found)


@router.post(
    "/{delivery_id}/retry",
    response_model=DeliveryOut,
    status_code=202,
    responses={404: PROBLEM, 409: PROBLEM, **PRECONDITION_RESPONSES},
)
async def retry_delivery(
    delivery_id: UUID,
    response: Response,
    session: SessionDep,
    _staff: StaffWrites,
    if_match: IfMatch = None,
) -> DeliveryOut:
    """A failed or suppressed delivery goes out again (same Message-ID / webhook-id).
    Needs the ETag read with `If-Match`."""
    found = await service.retry(session, delivery_id, if_match=if_match, now=utcnow())
    response.headers["ETag"] = etag_for(found.delivery.version)
    return DeliveryOut.of(found)
