"""Every query of the lists, the search and the export: one statement per page or export,
what the caller may see (`tickets.repository.visible_to`) and the filters in its WHERE, newest
first, the order of the indexes `ix_ticket_created` and `ix_ticket_site_created`."""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Select, bindparam, exists, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import load_only

from guichet_common.pagination import KeysetOrder, Paged, PageRequest, paginate
from ticketing.categories.models import Category
from ticketing.deps import Viewer
from ticketing.tickets.models import Status, Ticket, TicketType
from ticketing.tickets.repository import visible_to
from ticketing.tickets.text_search import matches

NEWEST_FIRST = KeysetOrder((Ticket.created_at, Ticket.id), descending=True)
# Rows read from the export's cursor at a time: a few hundred kilobytes of CSV.
EXPORT_CHUNK = 1000

# What a list shows and what an export writes: never the description nor the full-text
# documents, the heavy columns. Any other attribute raises rather than loading lazily.
_SUMMARY_COLUMNS = (
    Ticket.id,
    Ticket.reference,
    Ticket.type,
    Ticket.status,
    Ticket.title,
    Ticket.category_code,
    Ticket.category_label,
    Ticket.priority,
    Ticket.site_code,
    Ticket.site_name,
    Ticket.room_code,
    Ticket.assignee,
    Ticket.assignee_name,
    Ticket.group_code,
    Ticket.group_name,
    Ticket.requester_name,
    Ticket.created_at,
    Ticket.updated_at,
)
_EXPORT_COLUMNS = (
    *_SUMMARY_COLUMNS,
    Ticket.asset_tag,
    Ticket.requester_email,
    Ticket.requester_phone,
    Ticket.solved_at,
    Ticket.closed_at,
)

# The category and every category under it. UNION (not ALL) ends even on a cycle, which
# the categories' service refuses before it is written anyway.
_subtree = (
    select(Category.code).where(Category.code == bindparam("code")).cte("subtree", recursive=True)
)
_subtree = _subtree.union(select(Category.code).where(Category.parent_code == _subtree.c.code))
_category_and_descendants = select(_subtree.c.code)


@dataclass(frozen=True)
class Criteria:
    """Which tickets a list or an export holds: the caller's and the filters' (each
    narrows; None: no condition), resolved to what the columns hold."""

    viewer: Viewer
    statuses: frozenset[Status] | None = None
    site_codes: frozenset[str] | None = None
    priorities: frozenset[int] | None = None
    assignee: str | None = None
    group: str | None = None
    categories: frozenset[str] | None = None
    type: TicketType | None = None
    created_since: datetime | None = None  # included
    created_before: datetime | None = None  # excluded
    words: str | None = None


def _conditions(criteria: Criteria) -> list[ColumnElement[bool]]:
    where = [visible_to(criteria.viewer, criteria.site_codes)]
    # Sorted: the same filters make the same statement text (and plan).
    if criteria.statuses is not None:
        where.append(Ticket.status.in_(sorted(criteria.statuses)))
    if criteria.site_codes is not None:
        where.append(Ticket.site_code.in_(sorted(criteria.site_codes)))
    if criteria.priorities is not None:
        where.append(Ticket.priority.in_(sorted(criteria.priorities)))
    if criteria.assignee is not None:
        where.append(Ticket.assignee == criteria.assignee)
    if criteria.group is not None:
        where.append(Ticket.group_code == criteria.group)
    if criteria.categories is not None:
        where.append(Ticket.category_code.in_(sorted(criteria.categories)))
    if criteria.type is not None:
        where.append(Ticket.type == criteria.type)
    if criteria.created_since is not None:
        where.append(Ticket.created_at >= criteria.created_since)
    if criteria.created_before is not None:
        where.append(Ticket.created_at < criteria.created_before)
    if criteria.words is not None:
        where.append(matches(criteria.words))
    return where


def _selected(criteria: Criteria, columns: Sequence[Any]) -> Select[Ticket]:
    return select(Ticket).options(load_only(*columns, raiseload=True)).where(*_conditions(criteria))


async def category_and_descendants(session: AsyncSession, code: str) -> frozenset[str]:
    """`code` and the codes of every category under it; empty when there is no such code."""
    found = await session.scalars(_category_and_descendants, {"code": code})
    return frozenset(found.all())


async def page(session: AsyncSession, criteria: Criteria, request: PageRequest) -> Paged[Ticket]:
    """A page of the tickets, newest first; only the summary's columns are loaded."""
    return await paginate(session, _selected(criteria, _SUMMARY_COLUMNS), NEWEST_FIRST, request)


async def more_than(session: AsyncSession, criteria: Criteria, count: int) -> bool:
    """Whether more than `count` tickets match (reads at most `count + 1` index entries)."""
    beyond = (
        select(Ticket.id)
        .where(*_conditions(criteria))
        .order_by(Ticket.created_at.desc(), Ticket.id.desc())
        .offset(count)
        .limit(1)
    )
    found: bool = await session.scalar(select(exists(beyond))) or False
    return found


async def stream(
    session: AsyncSession, criteria: Criteria, limit: int
) -> AsyncIterator[Sequence[Ticket]]:
    """The first `limit` tickets newest first, the export's columns loaded, read from one
    server-side cursor `EXPORT_CHUNK` rows at a time: memory stays flat however many."""
    statement = (
        _selected(criteria, _EXPORT_COLUMNS)
        .order_by(Ticket.created_at.desc(), Ticket.id.desc())
        .limit(limit)
        .execution_options(yield_per=EXPORT_CHUNK)
    )
    result = await session.stream_scalars(statement)
    async for chunk in result.partitions():
        yield chunk
