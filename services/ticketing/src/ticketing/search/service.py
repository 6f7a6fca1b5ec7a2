"""The rules of the lists and exports: the caller sees what their `Viewer` allows, a
category includes its sub-categories, a day is the service's local day (midnight to
midnight, whatever the change of time), and an export stops at `EXPORT_MAX_ROWS`."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession

from guichet_common.auth import Principal
from guichet_common.events import utcnow
from guichet_common.http import InvalidInput
from guichet_common.pagination import Paged, PageRequest
from ticketing.deps import Viewer
from ticketing.search import exporting, repository
from ticketing.search.repository import Criteria
from ticketing.search.schemas import TicketFilter
from ticketing.settings import TicketingSettings
from ticketing.tickets.models import Ticket

# Past this, an export is cut (and says so): a spreadsheet of 100,000 tickets is already
# more than anyone reads, and the response holds a connection while it is downloaded.
EXPORT_MAX_ROWS = 100_000


def local_midnight(day: date, zone: ZoneInfo, *, days_later: int = 0) -> datetime | None:
    """The instant the day `days_later` days after `day` starts in `zone` (a day lasts 23
    or 25 hours when the time changes), in UTC; None past either end of the calendar
    (0001-01-01 in Paris starts in year 0 in UTC): no bound there."""
    try:
        return datetime.combine(day + timedelta(days=days_later), time.min, zone).astimezone(UTC)
    except OverflowError:
        return None


async def criteria(
    session: AsyncSession, settings: TicketingSettings, filters: TicketFilter, caller: Principal
) -> Criteria:
    """The filters resolved: the category's subtree (422 on `category` when unknown), the
    local days as instants."""
    categories = None
    if filters.category is not None:
        categories = await repository.category_and_descendants(session, filters.category)
        if not categories:
            raise InvalidInput(f"unknown category {filters.category}", field="category")
    since = before = None
    if filters.created_from is not None:
        since = local_midnight(filters.created_from, settings.zone)
    if filters.created_to is not None:
        before = local_midnight(filters.created_to, settings.zone, days_later=1)
    return Criteria(
        viewer=Viewer.of(caller),
        statuses=filters.statuses,
        site_codes=filters.site_codes,
        priorities=filters.priorities,
        assignee=filters.assignee,
        group=filters.group,
        categories=categories,
        type=filters.type,
        created_since=since,
        created_before=before,
        words=filters.words,
    )


async def list_tickets(
    session: AsyncSession,
    settings: TicketingSettings,
    filters: TicketFilter,
    caller: Principal,
    page: PageRequest,
) -> Paged[Ticket]:
    """A page of the tickets the caller sees that match the filters, newest first."""
    return await repository.page(session, await criteria(session, settings, filters, caller), page)


@dataclass(frozen=True)
class Export:
    filename: str
    truncated: bool  # more tickets matched than the file holds
    content: AsyncIterator[bytes]


async def export(
    session: AsyncSession,
    settings: TicketingSettings,
    filters: TicketFilter,
    caller: Principal,
    *,
    limit: int = EXPORT_MAX_ROWS,
    now: datetime | None = None,
) -> Export:
    """The tickets of the list (the same filters and visibility), newest first, as a CSV
    read while it is sent. Whether it was cut is known before the first byte, so the
    response's headers can say it."""
    selected = await criteria(session, settings, filters, caller)
    truncated = await repository.more_than(session, selected, limit)
    today = (now or utcnow()).astimezone(settings.zone).date()

    async def content() -> AsyncIterator[bytes]:
        yield exporting.head()
        async for tickets in repository.stream(session, selected, limit):
            yield exporting.lines(tickets, settings.zone)

    return Export(f"tickets-{today:%Y%m%d}.csv", truncated, content())
