"""SQL for requests and their history."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any
from uuid import UUID

from sqlalchemy import ColumnElement, case, extract, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import InstrumentedAttribute

from garage.requests.models import (
    CLOSED_STATUSES,
    GarageRequest,
    RequestHistory,
    RequestStatus,
)
from guichet_common.pagination import KeysetOrder, Paged, PageRequest, paginate

NEWEST_FIRST = KeysetOrder((GarageRequest.submitted_at, GarageRequest.id), descending=True)


async def save(session: AsyncSession, request: GarageRequest) -> None:
    """Insert a new request or write what changed on a loaded one (its version checked and
    bumped)."""
    session.add(request)
    await session.flush()


async def add_history(session: AsyncSession, entry: RequestHistory) -> None:
    session.add(entry)
    await session.flush()


async def get_by_number(
    session: AsyncSession, number: str, *, for_update: bool = False
) -> GarageRequest | None:
    statement = select(GarageRequest).where(GarageRequest.number == number)
    if for_update:
        statement = statement.with_for_update()
    return (await session.scalars(statement)).one_or_none()


async def get_by_id(
    session: AsyncSession, request_id: UUID, *, for_update: bool = False
) -> GarageRequest | None:
    statement = select(GarageRequest).where(GarageRequest.id == request_id)
    if for_update:
        statement = statement.with_for_update()
    return (await session.scalars(statement)).one_or_none()


async def get_by_tracking_token(session: AsyncSession, token: str) -> GarageRequest | None:
    statement = select(GarageRequest).where(GarageRequest.tracking_token == token)
    return (await session.scalars(statement)).one_or_none()


async def history(session: AsyncSession, request_id: UUID) -> list[RequestHistory]:
    statement = (
        select(RequestHistory)
        .where(RequestHistory.request_id == request_id)
        .order_by(RequestHistory.id)
    )
    return list((await session.scalars(statement)).all())


def _missed() -> ColumnElement[bool]:
    return or_(
        GarageRequest.quote_deadline_missed_at.is_not(None),
        GarageRequest.diagnosis_deadline_missed_at.is_not(None),
    )


async def list_requests(
    session: AsyncSession, *, status: RequestStatus | None, overdue: bool | None, page: PageRequest
) -> Paged[GarageRequest]:
    """Newest first."""
    statement = select(GarageRequest)
    if status is not None:
        statement = statement.where(GarageRequest.status == status)
    if overdue is True:
        statement = statement.where(_missed())
    elif overdue is False:
        statement = statement.where(~_missed())
    return await paginate(session, statement, NEWEST_FIRST, page)


async def claim_to_anonymise(
    session: AsyncSession, closed_before: datetime, limit: int = 200
) -> list[UUID]:
    """Requests closed before `closed_before` whose client data is still there, locked so
    concurrent workers skip them."""
    statement = (
        select(GarageRequest.id)
        .where(
            GarageRequest.anonymised_at.is_(None),
            GarageRequest.updated_at < closed_before,
            GarageRequest.status.in_(CLOSED_STATUSES),
        )
        .order_by(GarageRequest.updated_at)
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    return list((await session.scalars(statement)).all())


async def anonymise(session: AsyncSession, request_ids: list[UUID], now: datetime) -> None:
    """Erase who the client is: names, contact, plate, VIN, free text, the name a quote
    decision recorded in the history, and the tracking link (a new random token nobody
    holds). What the workshop did stays, for statistics."""
    await session.execute(
        update(GarageRequest)
        .where(GarageRequest.id.in_(request_ids))
        .values(
            last_name="",
            first_name="",
            email="",
            phone="",
            plate="",
            vin=None,
            description="",
            # 64 hex digits of two random UUIDs (244 random bits, the server's strong source)
            tracking_token=func.replace(
                func.concat(func.gen_random_uuid(), func.gen_random_uuid()), "-", ""
            ),
            anonymised_at=now,
            version=GarageRequest.version + 1,
            updated_at=now,
        )
        .execution_options(synchronize_session=False)
    )
    await session.execute(
        update(RequestHistory)
        .where(RequestHistory.request_id.in_(request_ids))
        .values(
            note=None,
            # "client: <name typed on the decision page>"
            actor=case(
                (RequestHistory.actor.startswith("client:"), "client"),
                else_=RequestHistory.actor,
            ),
        )
        .execution_options(synchronize_session=False)
    )


# Each deadline: when it falls due, when it was flagged missed, what meets it — the first
# quote issued; the diagnosis recorded after the drop-off (no drop-off, no deadline).
_DEADLINES: dict[
    str,
    tuple[
        InstrumentedAttribute[datetime] | InstrumentedAttribute[datetime | None],
        InstrumentedAttribute[datetime | None],
        InstrumentedAttribute[datetime | None],
    ],
] = {
    "quote": (
        GarageRequest.quote_due_at,
        GarageRequest.quote_deadline_missed_at,
        GarageRequest.quoted_at,
    ),
    "diagnosis": (
        GarageRequest.diagnosis_due_at,
        GarageRequest.diagnosis_deadline_missed_at,
        GarageRequest.diagnosed_at,
    ),
}
# A request whose work is finished, or that ended, owes nothing any more.
_NOTHING_OWED = CLOSED_STATUSES | {RequestStatus.DONE}


async def claim_missed_deadlines(
    session: AsyncSession, now: datetime, deadline: str, limit: int = 200
) -> Sequence[GarageRequest]:
    """Requests past a pending deadline not yet flagged, locked so concurrent workers skip
    them (the partial indexes `ix_garage_request_*_pending` serve this)."""
    due, missed, met = _DEADLINES[deadline]
    statement = (
        select(GarageRequest)
        .where(
            due.is_not(None),
            due < now,
            missed.is_(None),
            met.is_(None),
            GarageRequest.status.not_in(_NOTHING_OWED),
        )
        .order_by(due)
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    return (await session.scalars(statement)).all()


async def count_by(session: AsyncSession, column: InstrumentedAttribute[Any]) -> dict[str, int]:
    rows = await session.execute(select(column, func.count()).group_by(column))
    return {str(value): count for value, count in rows}


async def mean_hours(
    session: AsyncSession, end: InstrumentedAttribute[datetime | None]
) -> float | None:
    seconds = func.avg(extract("epoch", end - GarageRequest.submitted_at))
    value = await session.scalar(select(seconds).where(end.is_not(None)))
    return None if value is None else round(float(value) / 3600, 2)
