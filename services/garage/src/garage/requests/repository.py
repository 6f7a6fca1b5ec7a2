"""SQL for requests and their history."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any
from uuid import UUID

from sqlalchemy import Row, and_, case, extract, func, or_, select, tuple_, update
from sqlalchemy.ext.asyncio import AsyncSession

from garage.requests.models import (
    CLOSED_STATUSES,
    RequestStatus,
    garage_request,
    request_history,
)
from guichet_common.db import Rows


def request_rows(columns: Mapping[str, Sequence[Any]]) -> Rows:
    """New requests, given column by column, to insert with `insert_rows`."""
    return Rows(garage_request, columns)


async def get_by_number(
    session: AsyncSession, number: str, *, for_update: bool = False
) -> Row[Any] | None:
    statement = select(garage_request).where(garage_request.c.number == number)
    if for_update:
        statement = statement.with_for_update()
    return (await session.execute(statement)).first()


async def get_by_id(
    session: AsyncSession, request_id: UUID, *, for_update: bool = False
) -> Row[Any] | None:
    statement = select(garage_request).where(garage_request.c.id == request_id)
    if for_update:
        statement = statement.with_for_update()
    return (await session.execute(statement)).first()


async def get_by_tracking_token(session: AsyncSession, token: str) -> Row[Any] | None:
    statement = select(garage_request).where(garage_request.c.tracking_token == token)
    return (await session.execute(statement)).first()


async def update_request(
    session: AsyncSession, request_id: UUID, values: dict[str, Any]
) -> Row[Any]:
    result = await session.execute(
        update(garage_request)
        .where(garage_request.c.id == request_id)
        .values(**values, version=garage_request.c.version + 1, updated_at=func.now())
        .returning(garage_request)
    )
    row: Row[Any] = result.one()
    return row


async def add_history(
    session: AsyncSession,
    *,
    request_id: UUID,
    action: str,
    from_status: str | None,
    to_status: str,
    actor: str,
    note: str | None = None,
) -> None:
    await session.execute(
        request_history.insert().values(
            request_id=request_id,
            action=action,
            from_status=from_status,
            to_status=to_status,
            actor=actor,
            note=note,
        )
    )


def history_rows(columns: Mapping[str, Sequence[Any]]) -> Rows:
    """History lines, given column by column, to insert with `insert_rows`."""
    return Rows(request_history, columns)


async def history(session: AsyncSession, request_id: UUID) -> Sequence[Row[Any]]:
    return (
        await session.execute(
            select(request_history)
            .where(request_history.c.request_id == request_id)
            .order_by(request_history.c.id)
        )
    ).all()


async def list_requests(
    session: AsyncSession,
    *,
    status: str | None,
    overdue: bool | None,
    after: tuple[datetime, UUID] | None,
    limit: int,
) -> Sequence[Row[Any]]:
    """Newest first, keyset on (submitted_at, id)."""
    statement = select(garage_request)
    if status is not None:
        statement = statement.where(garage_request.c.status == status)
    missed = or_(
        garage_request.c.quote_deadline_missed_at.is_not(None),
        garage_request.c.diagnosis_deadline_missed_at.is_not(None),
    )
    if overdue is True:
        statement = statement.where(missed)
    elif overdue is False:
        statement = statement.where(~missed)
    if after is not None:
        statement = statement.where(
            tuple_(garage_request.c.submitted_at, garage_request.c.id) < tuple_(*after)
        )
    statement = statement.order_by(
        garage_request.c.submitted_at.desc(), garage_request.c.id.desc()
    ).limit(limit)
    return (await session.execute(statement)).all()


async def claim_to_anonymise(
    session: AsyncSession, closed_before: datetime, limit: int = 200
) -> list[UUID]:
    """Requests closed before `closed_before` whose client data is still there, locked so
    concurrent workers skip them."""
    statement = (
        select(garage_request.c.id)
        .where(
            garage_request.c.anonymised_at.is_(None),
            garage_request.c.updated_at < closed_before,
            garage_request.c.status.in_(CLOSED_STATUSES),
        )
        .order_by(garage_request.c.updated_at)
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    return list((await session.scalars(statement)).all())


async def anonymise(session: AsyncSession, request_ids: list[UUID], now: datetime) -> None:
    """Erase who the client is: names, contact, plate, VIN, free text, the name a quote
    decision recorded in the history, and the tracking link (a new random token nobody
    holds). What the workshop did stays, for statistics."""
    await session.execute(
        update(garage_request)
        .where(garage_request.c.id.in_(request_ids))
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
            version=garage_request.c.version + 1,
            updated_at=now,
        )
    )
    await session.execute(
        update(request_history)
        .where(request_history.c.request_id.in_(request_ids))
        .values(
            note=None,
            # "client: <name typed on the decision page>"
            actor=case(
                (request_history.c.actor.startswith("client:"), "client"),
                else_=request_history.c.actor,
            ),
        )
    )


async def claim_missed_deadlines(
    session: AsyncSession, now: datetime, deadline: str, limit: int = 200
) -> Sequence[Row[Any]]:
    """Requests past a deadline not yet flagged, locked so concurrent workers skip them.

    A quote is late until one is issued (`quoted_at`); a diagnosis until triage."""
    due, missed, done = {
        "quote": (
            garage_request.c.quote_due_at,
            garage_request.c.quote_deadline_missed_at,
            garage_request.c.quoted_at,
        ),
        "diagnosis": (
            garage_request.c.diagnosis_due_at,
            garage_request.c.diagnosis_deadline_missed_at,
            garage_request.c.triaged_at,
        ),
    }[deadline]
    statement = (
        select(garage_request)
        .where(
            and_(
                due < now,
                missed.is_(None),
                done.is_(None),
                garage_request.c.status.not_in([RequestStatus.CANCELLED, RequestStatus.ARCHIVED]),
            )
        )
        .order_by(due)
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    return (await session.execute(statement)).all()


async def mark_deadline_missed(
    session: AsyncSession, request_ids: Sequence[UUID], deadline: str, now: datetime
) -> None:
    column = f"{deadline}_deadline_missed_at"
    await session.execute(
        update(garage_request).where(garage_request.c.id.in_(request_ids)).values({column: now})
    )


async def count_by(session: AsyncSession, column: str) -> dict[str, int]:
    col = garage_request.c[column]
    rows = await session.execute(select(col, func.count()).group_by(col))
    return {row[0]: row[1] for row in rows}


async def mean_hours(session: AsyncSession, end_column: str) -> float | None:
    seconds = func.avg(
        extract("epoch", garage_request.c[end_column] - garage_request.c.submitted_at)
    )
    value = await session.scalar(select(seconds).where(garage_request.c[end_column].is_not(None)))
    return None if value is None else round(float(value) / 3600, 2)
