"""What the list, the search and the export accept (their filters) and what a list returns
(a ticket's summary: no description, to keep pages light)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum
from typing import Annotated

from fastapi import Depends, Query
from pydantic import BaseModel, Field

from guichet_common.http import InvalidInput
from guichet_common.text import Text
from ticketing.tickets.models import (
    LEVEL_LABELS,
    STATUS_GROUPS,
    STATUS_LABELS,
    TYPE_LABELS,
    Status,
    Ticket,
    TicketType,
)


class StatusGroup(StrEnum):
    """GLPI's meta-statuses (`tickets.models.STATUS_GROUPS`)."""

    NOTOLD = "notold"
    NOTCLOSED = "notclosed"
    PROCESS = "process"
    OLD = "old"
    ALL = "all"


MAX_WORDS = 200


@dataclass(frozen=True)
class TicketFilter:
    """The filters of a list or an export, as the caller sent them (each one narrows)."""

    statuses: frozenset[Status] | None = None  # None: any status
    site_codes: frozenset[str] | None = None  # upper-cased, as `deps.Viewer` keeps them
    priorities: frozenset[int] | None = None
    assignee: str | None = None
    group: str | None = None
    category: str | None = None  # with its sub-categories
    type: TicketType | None = None
    created_from: date | None = None  # local days, both included
    created_to: date | None = None
    words: str | None = None


def ticket_filter(
    status: Annotated[
        list[Status] | None, Query(description="Repeatable: any of these statuses")
    ] = None,
    status_group: Annotated[
        StatusGroup | None,
        Query(
            description="GLPI's meta-statuses: `notold` (new, assigned, planned, pending), "
            "`notclosed` (all but closed and cancelled), `process` (assigned, planned), `old` "
            "(solved, closed, cancelled), `all`. With `status`, both apply."
        ),
    ] = None,
    site_code: Annotated[
        list[Annotated[Text, Field(max_length=20)]] | None,
        Query(max_length=100, description="Repeatable: any of these sites"),
    ] = None,
    priority: Annotated[
        list[Annotated[int, Field(ge=1, le=6)]] | None,
        Query(description="Repeatable: any of these priorities (1-6)"),
    ] = None,
    assignee: Annotated[
        Text | None, Query(max_length=200, description="A technician's login")
    ] = None,
    group: Annotated[
        Text | None, Query(max_length=40, description="A support group's code")
    ] = None,
    category: Annotated[
        Text | None,
        Query(max_length=40, description="A category code: its sub-categories included"),
    ] = None,
    type: Annotated[TicketType | None, Query()] = None,
    created_from: Annotated[
        date | None, Query(description="Created on or after this day (the service's time zone)")
    ] = None,
    created_to: Annotated[
        date | None, Query(description="Created on or before this day (the service's time zone)")
    ] = None,
    q: Annotated[
        Text | None,
        Query(
            max_length=MAX_WORDS,
            description="Words in the title, description or public followups, as in a search "
            'box (`"mot de passe" pronote -ent`); French stemming, accents ignored',
        ),
    ] = None,
) -> TicketFilter:
    if created_from is not None and created_to is not None and created_to < created_from:
        raise InvalidInput("created_to is before created_from", field="created_to")
    statuses: frozenset[Status] | None = frozenset(status) if status else None
    if status_group is not None and status_group is not StatusGroup.ALL:
        grouped = STATUS_GROUPS[status_group.value]
        statuses = grouped if statuses is None else statuses & grouped
    return TicketFilter(
        statuses=statuses,
        site_codes=frozenset(code.upper() for code in site_code) if site_code else None,
        priorities=frozenset(priority) if priority else None,
        assignee=assignee,
        group=group,
        category=category,
        type=type,
        created_from=created_from,
        created_to=created_to,
        # Blank: no words to look for (an empty query would match nothing).
        words=(q.strip() or None) if q is not None else None,
    )


TicketFilterParams = Annotated[TicketFilter, Depends(ticket_filter)]


class TicketSummary(BaseModel):
    """A ticket as a list shows it."""

    reference: str
    type: TicketType
    type_label: str
    status: Status
    status_label: str
    title: str
    category: str
    category_label: str
    priority: int
    priority_label: str
    site_code: str
    site_name: str
    room_code: str | None
    assignee: str | None
    assignee_name: str | None
    group: str | None
    group_name: str | None
    requester_name: str
    created_at: datetime
    updated_at: datetime

    @classmethod
    def of(cls, ticket: Ticket) -> TicketSummary:
        return cls(
            reference=ticket.reference,
            type=ticket.type,
            type_label=TYPE_LABELS[ticket.type],
            status=ticket.status,
            status_label=STATUS_LABELS[ticket.status],
            title=ticket.title,
            category=ticket.category_code,
            category_label=ticket.category_label,
            priority=ticket.priority,
            priority_label=LEVEL_LABELS[ticket.priority],
            site_code=ticket.site_code,
            site_name=ticket.site_name,
            room_code=ticket.room_code,
            assignee=ticket.assignee,
            assignee_name=ticket.assignee_name,
            group=ticket.group_code,
            group_name=ticket.group_name,
            requester_name=ticket.requester_name,
            created_at=ticket.created_at,
            updated_at=ticket.updated_at,
        )
