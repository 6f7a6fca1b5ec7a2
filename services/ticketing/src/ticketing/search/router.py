"""`/api/ticketing/tickets` (the list and full-text search, keyset-paged, newest first) and
`/api/ticketing/tickets.csv` (the same tickets as a spreadsheet). Both show only what the
caller's `deps.Viewer` sees."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query
from fastapi.responses import StreamingResponse
from sqlalchemy.ext.asyncio import AsyncSession

from guichet_common.http import PROBLEM, SessionDep, request_session
from guichet_common.pagination import Page, PageParams
from ticketing.deps import SettingsDep, TicketReads
from ticketing.search import service
from ticketing.search.schemas import TicketFilterParams, TicketSummary

router = APIRouter(tags=["search"])

# The export is read while it is sent: its session lives until the response ends
# (scope="request"), where `SessionDep`'s commits before the response starts.
StreamingSession = Annotated[AsyncSession, Depends(request_session, scope="request")]
# Sent on every export: whether more tickets matched than the file holds.
TRUNCATED_HEADER = "Export-Truncated"

CSV_RESPONSES: dict[int | str, dict[str, Any]] = {
    200: {
        "content": {"text/csv": {"schema": {"type": "string"}}},
        "description": "`;`-separated, UTF-8 with a BOM, French headers and dates",
        "headers": {
            TRUNCATED_HEADER: {
                "description": "`true` when more tickets matched than `limit`: the file "
                "holds the newest `limit`",
                "schema": {"type": "string", "enum": ["true", "false"]},
            }
        },
    },
    403: PROBLEM,
    422: PROBLEM,
}


@router.get("/tickets", response_model=Page[TicketSummary], responses={403: PROBLEM, 422: PROBLEM})
async def list_tickets(
    session: SessionDep,
    settings: SettingsDep,
    caller: TicketReads,
    filters: TicketFilterParams,
    page: PageParams,
) -> Page[TicketSummary]:
    """The tickets the caller sees, newest first: staff every ticket of the sites they
    cover (all without a `sites` claim), a requester the tickets they opened or that name
    them and, with a `sites` claim, every ticket of those sites. Filters narrow it (a
    repeatable one matches any of its values); `q` searches the words of the title,
    description and public followups (French stemming, accents ignored). A summary per
    ticket: `GET /tickets/{reference}` for the rest."""
    found = await service.list_tickets(session, settings, filters, caller, page)
    return Page.of(found, TicketSummary.of)


@router.get("/tickets.csv", response_class=StreamingResponse, responses=CSV_RESPONSES)
async def export_tickets(
    session: StreamingSession,
    settings: SettingsDep,
    caller: TicketReads,
    filters: TicketFilterParams,
    limit: Annotated[
        int, Query(ge=1, le=service.EXPORT_MAX_ROWS, description="The newest this many")
    ] = service.EXPORT_MAX_ROWS,
) -> StreamingResponse:
    """The tickets of the list (the same filters, the same visibility), newest first, as a
    spreadsheet Excel opens in French (`;`, UTF-8 with a BOM, French headers, times in the
    service's time zone), sent as it is read. At most `limit` (100,000): the header
    `Export-Truncated: true` says more matched."""
    export = await service.export(session, settings, filters, caller, limit=limit)
    return StreamingResponse(
        export.content,
        media_type="text/csv; charset=utf-8",
        headers={
            "Content-Disposition": f'attachment; filename="{export.filename}"',
            TRUNCATED_HEADER: "true" if export.truncated else "false",
        },
    )
