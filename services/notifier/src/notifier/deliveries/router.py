"""`/deliveries`: one timeline per subject across email and webhooks; retry by hand."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Query, Response

from guichet_common.events import utcnow
from guichet_common.http import PRECONDITION_RESPONSES, PROBLEM, IfMatch, SessionDep, etag_for
from guichet_common.pagination import Page, PageParams
from guichet_common.text import Text
from notifier.deliveries import service
from notifier.deliveries.models import DeliveryWithAttempts
from notifier.deliveries.readers import Reader
from notifier.deliveries.schemas import DeliveryOut
from notifier.deps import StaffWrites, TimelineReads

router = APIRouter(prefix="/deliveries", tags=["deliveries"])


def shown_to(reader: Reader) -> Callable[[DeliveryWithAttempts], DeliveryOut]:
    def show(found: DeliveryWithAttempts) -> DeliveryOut:
        shown = DeliveryOut.of(found)
        return shown if reader.reads_in_clear(found.delivery.event_type) else shown.masked()

    return show


@router.get("", response_model=Page[DeliveryOut])
async def list_deliveries(
    subject: Annotated[Text, Query(min_length=1, max_length=200, examples=["DEM-2026-0021"])],
    page: PageParams,
    session: SessionDep,
    who: TimelineReads,
) -> Page[DeliveryOut]:
    """Every email and webhook about `subject`, oldest first, with all their attempts: of
    the services the caller's roles cover (ops and API keys: all, recipients masked)."""
    reader = Reader.of(who)
    return Page.of(await service.timeline(session, subject, page, reader), shown_to(reader))


@router.get("/{delivery_id}", response_model=DeliveryOut, responses={404: PROBLEM})
async def get_delivery(
    delivery_id: UUID, response: Response, session: SessionDep, who: TimelineReads
) -> DeliveryOut:
    reader = Reader.of(who)
    found = await service.get_with_attempts(session, delivery_id, reader)
    response.headers["ETag"] = etag_for(found.delivery.version)
    return shown_to(reader)(found)


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
    who: StaffWrites,
    if_match: IfMatch = None,
) -> DeliveryOut:
    """A failed or suppressed delivery goes out again (same Message-ID / webhook-id).
    Needs the ETag read with `If-Match`."""
    reader = Reader.of(who)
    found = await service.retry(session, delivery_id, reader, if_match=if_match, now=utcnow())
    response.headers["ETag"] = etag_for(found.delivery.version)
    return shown_to(reader)(found)
