"""The request lifecycle: submission, transitions (with the quote gate), assignment, stats."""

from __future__ import annotations

import functools
import json
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any
from uuid import UUID

from sqlalchemy import Row
from sqlalchemy.ext.asyncio import AsyncSession

from garage.errors import QuoteNotAccepted, SessionFull, TransitionNotAllowed
from garage.events import (
    DeadlineMissedV1,
    RequestReadyForPickupV1,
    RequestScheduledV1,
    RequestStatusChangedV1,
    RequestSubmittedV1,
    ScheduledSession,
    outbox,
)
from garage.numbering.repository import take_references
from garage.planning import repository as planning
from garage.quotes import repository as quotes
from garage.quotes.models import QuoteStatus
from garage.quotes.pricing import Totals, lines_from_catalogue, totals
from garage.requests import repository
from garage.requests.models import RequestStatus as S
from garage.requests.schemas import (
    STATUS_LABELS,
    Assignment,
    HistoryEntry,
    RequestDetail,
    RequestStats,
    RequestSubmission,
    RequestSummary,
    TransitionRequest,
)
from garage.settings import CatalogueLine, GarageSettings
from guichet_common.db import Database, insert_rows
from guichet_common.events import new_event_id, utcnow
from guichet_common.http import InvalidInput, NotFound, check_if_match, etag_for

# Actions a teacher takes: action -> (states it applies to, state it leads to).
# Quote decisions move quoted -> accepted | refused | expired (see quotes.service).
TRANSITIONS: dict[str, tuple[frozenset[S], S]] = {
    "triage": (frozenset({S.SUBMITTED}), S.TRIAGED),
    "schedule": (frozenset({S.ACCEPTED}), S.SCHEDULED),
    "start": (frozenset({S.ACCEPTED, S.SCHEDULED}), S.IN_PROGRESS),
    "finish": (frozenset({S.IN_PROGRESS}), S.DONE),
    "hand_back": (frozenset({S.DONE}), S.HANDED_BACK),
    "archive": (frozenset({S.HANDED_BACK, S.REFUSED, S.EXPIRED, S.CANCELLED}), S.ARCHIVED),
    "cancel": (
        frozenset({S.SUBMITTED, S.TRIAGED, S.QUOTED, S.ACCEPTED, S.SCHEDULED, S.IN_PROGRESS}),
        S.CANCELLED,
    ),
}


def allowed_actions(status: str) -> list[str]:
    return [action for action, (sources, _) in TRANSITIONS.items() if status in sources]


def tracking_url(settings: GarageSettings, row: Any) -> str:
    """`row`: a request row, or a `Submitted`."""
    return f"{settings.public_base_url}/garage/suivi/{row.tracking_token}"


def event_fields(settings: GarageSettings, row: Any, subject: str) -> dict[str, Any]:
    """What every request event carries for the notifier. `row`: a request row, or a
    `Submitted`."""
    return {
        "request_id": row.id,
        "request_number": row.number,
        "client_email": row.email,
        "client_name": f"{row.first_name} {row.last_name}",
        "subject": f"{subject} — {row.number}",
        "tracking_url": tracking_url(settings, row),
    }


@dataclass(frozen=True, slots=True)
class Submitted:
    """A stored submission: what the confirmation and its event need."""

    id: UUID
    number: str
    status: S
    tracking_token: str
    email: str
    first_name: str
    last_name: str


async def submit(db: Database, settings: GarageSettings, data: RequestSubmission) -> Submitted:
    [submitted] = await submit_many(db, settings, [data])
    return submitted


async def submit_many(
    db: Database,
    settings: GarageSettings,
    submissions: Sequence[RequestSubmission],
    correlation_ids: Sequence[str | None] | None = None,
) -> list[Submitted]:
    """Stores requests, drafts their quotes from the catalogue, publishes the submissions,
    in two statements whatever their number.

    Numbers come from a per-year counter row locked until commit (gap-free), taken for all
    the submissions at once by the statement that writes what needs no number (history
    and quotes: their foreign keys are checked at commit). Each submission's event keeps
    its own correlation id when they are given (a batch gathers several HTTP requests).
    """
    now = utcnow()
    count = len(submissions)
    ids = [new_event_id() for _ in submissions]
    tokens = [secrets.token_urlsafe(24) for _ in submissions]
    requests = [data.model_dump(exclude={"consent"}, mode="json") for data in submissions]
    numbers = await take_references(
        db,
        "DEM",
        now.year,
        count,
        writing=[
            repository.history_rows(
                {
                    "request_id": ids,
                    "action": ["submit"] * count,
                    "to_status": [S.SUBMITTED.value] * count,
                    "actor": ["client"] * count,
                }
            ),
            quotes.quote_rows(
                _draft_quotes(settings, ids, [data.service_type for data in submissions])
            ),
        ],
    )
    submitted = [
        Submitted(
            id=request_id,
            number=number,
            status=S.SUBMITTED,
            tracking_token=token,
            email=data["email"],
            first_name=data["first_name"],
            last_name=data["last_name"],
        )
        for request_id, number, token, data in zip(ids, numbers, tokens, requests, strict=True)
    ]
    envelopes = outbox.envelopes(
        [
            (
                RequestSubmittedV1(
                    **event_fields(settings, request, "Votre demande au garage pédagogique"),
                    service_type=data["service_type"],
                    urgency=data["urgency"],
                    plate=data["plate"],
                    make=data["make"],
                    model=data["model"],
                    description=data["description"],
                    submitted_at=now,
                ),
                request.number,
            )
            for request, data in zip(submitted, requests, strict=True)
        ],
        correlation_ids,
    )
    # From the numbers on, the counter is locked: the events are built, then one round
    # trip and the commit.
    await insert_rows(
        db,
        repository.request_rows(
            {
                "id": ids,
                "number": numbers,
                "status": [S.SUBMITTED.value] * count,
                **{name: [r[name] for r in requests] for name in requests[0]},
                "consent_at": [now] * count,
                "tracking_token": tokens,
                "submitted_at": [now] * count,
                "quote_due_at": [now + timedelta(hours=settings.quote_deadline_hours)] * count,
                "diagnosis_due_at": [now + timedelta(hours=settings.diagnosis_deadline_hours)]
                * count,
            }
        ),
        outbox.rows(envelopes),
    )
    return submitted


def _draft_quotes(
    settings: GarageSettings, request_ids: list[UUID], service_types: list[str]
) -> dict[str, list[Any]]:
    """Version 1 of each quote, from the catalogue line-up of its service type."""
    # Looked up once per service type of the batch: the cache key hashes the whole line-up.
    by_type = {
        service_type: _priced_draft(
            tuple(settings.catalogue.get(service_type, ())),
            settings.hourly_rate,
            settings.vat_rate,
        )
        for service_type in set(service_types)
    }
    priced = [by_type[service_type] for service_type in service_types]
    count = len(request_ids)
    return {
        "id": [new_event_id() for _ in request_ids],
        "request_id": request_ids,
        "version": [1] * count,
        "is_supplement": [False] * count,
        "status": [QuoteStatus.DRAFT.value] * count,
        "lines": [lines for lines, _ in priced],
        "hourly_rate": [settings.hourly_rate] * count,
        "vat_rate": [settings.vat_rate] * count,
        "total_ht": [total.ht for _, total in priced],
        "total_vat": [total.vat for _, total in priced],
        "total_ttc": [total.ttc for _, total in priced],
    }


@functools.cache
def _priced_draft(
    catalogue: tuple[CatalogueLine, ...], hourly_rate: Decimal, vat_rate: Decimal
) -> tuple[str, Totals]:
    """A line-up's stored lines (JSON) and totals, priced once per line-up and rates."""
    lines = lines_from_catalogue(catalogue, hourly_rate)
    return json.dumps(lines), totals(lines, vat_rate)


async def get_request(session: AsyncSession, number: str, *, for_update: bool = False) -> Row[Any]:
    row = await repository.get_by_number(session, number, for_update=for_update)
    if row is None:
        raise NotFound(f"no request {number}")
    return row


async def move(
    session: AsyncSession,
    settings: GarageSettings,
    row: Row[Any],
    *,
    action: str,
    to_status: S,
    actor: str,
    note: str | None = None,
    values: dict[str, Any] | None = None,
) -> Row[Any]:
    """Every status change: the row, a history line and a status event, together."""
    updated = await repository.update_request(
        session, row.id, {"status": to_status, **(values or {})}
    )
    await repository.add_history(
        session,
        request_id=row.id,
        action=action,
        from_status=row.status,
        to_status=to_status,
        actor=actor,
        note=note,
    )
    await outbox.publish(
        session,
        RequestStatusChangedV1(
            **event_fields(settings, updated, "Suivi de votre demande"),
            action=action,
            from_status=row.status,
            to_status=to_status,
            status_label=STATUS_LABELS[to_status],
        ),
        subject=row.number,
    )
    return updated


async def transition(
    session: AsyncSession,
    settings: GarageSettings,
    number: str,
    command: TransitionRequest,
    *,
    actor: str,
    if_match: str | None = None,
) -> Row[Any]:
    row = await get_request(session, number, for_update=True)
    if if_match is not None:
        check_if_match(if_match, row.version)
    sources, target = TRANSITIONS[command.action]
    if row.status not in sources:
        raise TransitionNotAllowed(
            f"cannot {command.action} a request that is {row.status}",
            status_now=row.status,
            allowed_actions=allowed_actions(row.status),
        )
    values: dict[str, Any] = {}
    if command.action == "start":
        accepted, pending_supplement = await quotes.gate_state(session, row.id)
        if not accepted or pending_supplement:
            raise QuoteNotAccepted(
                "an accepted quote is required"
                if not accepted
                else "a supplement (avenant) awaits the client's decision",
                status_now=row.status,
                allowed_actions=allowed_actions(row.status),
            )
    elif command.action == "triage":
        values["triaged_at"] = utcnow()
    elif command.action == "finish":
        if command.work_done:
            values["work_done"] = command.work_done
    elif command.action == "hand_back":
        values["handed_back_at"] = utcnow()
    elif command.action == "cancel":
        await planning.release(session, row.id)
    elif command.action == "schedule":
        await _book_sessions(session, row, command.session_ids)
    updated = await move(
        session,
        settings,
        row,
        action=command.action,
        to_status=target,
        actor=actor,
        note=command.note,
        values=values,
    )
    if command.action == "schedule":
        booked = await planning.sessions_of_request(session, row.id)
        await outbox.publish(
            session,
            RequestScheduledV1(
                **event_fields(settings, updated, "Rendez-vous au garage pédagogique"),
                sessions=[
                    ScheduledSession(starts_at=s.starts_at, ends_at=s.ends_at) for s in booked
                ],
                teachers=sorted({*updated.teachers, *(s.teacher for s in booked)}),
                student_group=updated.student_group,
            ),
            subject=row.number,
        )
    elif command.action == "finish":
        await outbox.publish(
            session,
            RequestReadyForPickupV1(
                **event_fields(settings, updated, "Votre véhicule est prêt"), plate=updated.plate
            ),
            subject=row.number,
        )
    return updated


async def _book_sessions(session: AsyncSession, row: Row[Any], session_ids: Sequence[UUID]) -> None:
    if not session_ids:
        raise InvalidInput("schedule needs at least one workshop session", field="session_ids")
    locked = await planning.lock_sessions(session, sorted(set(session_ids)))
    missing = set(session_ids) - {s.id for s, _ in locked}
    if missing:
        raise InvalidInput(
            f"unknown workshop session(s): {', '.join(map(str, sorted(missing)))}",
            field="session_ids",
        )
    full = [s for s, booked in locked if booked >= s.bays]
    if full:
        raise SessionFull(
            f"no free bay in session(s) starting {', '.join(str(s.starts_at) for s in full)}",
            session_ids=[str(s.id) for s in full],
        )
    await planning.book(session, [s.id for s, _ in locked], row.id)


async def assign(
    session: AsyncSession, number: str, data: Assignment, *, actor: str, if_match: str | None
) -> Row[Any]:
    row = await get_request(session, number, for_update=True)
    check_if_match(if_match, row.version)
    updated = await repository.update_request(
        session, row.id, {"teachers": data.teachers, "student_group": data.student_group}
    )
    await repository.add_history(
        session,
        request_id=row.id,
        action="assign",
        from_status=row.status,
        to_status=row.status,
        actor=actor,
        note=f"enseignants : {', '.join(data.teachers) or '—'} ; "
        f"groupe : {data.student_group or '—'}",
    )
    return updated


def summary(row: Row[Any]) -> RequestSummary:
    return RequestSummary(**_summary_fields(row))


def _summary_fields(row: Row[Any]) -> dict[str, Any]:
    return {
        "id": row.id,
        "number": row.number,
        "status": row.status,
        "status_label": STATUS_LABELS[row.status],
        "last_name": row.last_name,
        "first_name": row.first_name,
        "plate": row.plate,
        "service_type": row.service_type,
        "urgency": row.urgency,
        "submitted_at": row.submitted_at,
        "quote_due_at": row.quote_due_at,
        "quote_deadline_missed": row.quote_deadline_missed_at is not None,
        "diagnosis_deadline_missed": row.diagnosis_deadline_missed_at is not None,
        "teachers": list(row.teachers),
        "student_group": row.student_group,
    }


async def detail(session: AsyncSession, settings: GarageSettings, row: Row[Any]) -> RequestDetail:
    entries = await repository.history(session, row.id)
    return RequestDetail(
        **_summary_fields(row),
        email=row.email,
        phone=row.phone,
        make=row.make,
        model=row.model,
        vin=row.vin,
        mileage_km=row.mileage_km,
        description=row.description,
        diagnosis_due_at=row.diagnosis_due_at,
        work_done=row.work_done,
        tracking_url=tracking_url(settings, row),
        anonymised_at=row.anonymised_at,
        history=[
            HistoryEntry(
                action=e.action,
                from_status=e.from_status,
                to_status=e.to_status,
                actor=e.actor,
                note=e.note,
                at=e.at,
            )
            for e in entries
        ],
    )


def etag(row: Row[Any]) -> str:
    return etag_for(row.version)


async def list_requests(
    session: AsyncSession,
    *,
    status: str | None,
    overdue: bool | None,
    after: tuple[datetime, UUID] | None,
    limit: int,
) -> Sequence[Row[Any]]:
    return await repository.list_requests(
        session, status=status, overdue=overdue, after=after, limit=limit
    )


@dataclass(frozen=True)
class TrackingView:
    request: Row[Any]
    history: Sequence[Row[Any]]
    sessions: Sequence[Row[Any]]
    status_label: str


async def tracking(session: AsyncSession, token: str) -> TrackingView:
    row = await repository.get_by_tracking_token(session, token) if len(token) < 100 else None
    if row is None:
        raise NotFound("unknown tracking link")
    return TrackingView(
        request=row,
        history=await repository.history(session, row.id),
        sessions=await planning.sessions_of_request(session, row.id),
        status_label=STATUS_LABELS[row.status],
    )


async def flag_missed_deadlines(
    session: AsyncSession, settings: GarageSettings, now: datetime | None = None
) -> int:
    """The deadline timer: each missed deadline is flagged once and published once."""
    now = now or utcnow()
    flagged = 0
    for deadline, due_column in (("quote", "quote_due_at"), ("diagnosis", "diagnosis_due_at")):
        rows = await repository.claim_missed_deadlines(session, now, deadline)
        if not rows:
            continue
        await repository.mark_deadline_missed(session, [r.id for r in rows], deadline, now)
        await outbox.publish_many(
            session,
            [
                (
                    DeadlineMissedV1(
                        **event_fields(settings, r, "Délai dépassé"),
                        deadline=deadline,
                        due_at=getattr(r, due_column),
                    ),
                    r.number,
                )
                for r in rows
            ],
        )
        flagged += len(rows)
    return flagged


async def anonymise_closed_requests(
    session: AsyncSession, settings: GarageSettings, now: datetime | None = None
) -> int:
    """The retention timer: the client's personal data is erased from requests closed for
    longer than `personal_data_retention_days` (each request once)."""
    now = now or utcnow()
    request_ids = await repository.claim_to_anonymise(
        session, now - timedelta(days=settings.personal_data_retention_days)
    )
    if request_ids:
        await repository.anonymise(session, request_ids, now)
        await quotes.forget_clients(session, request_ids)
    return len(request_ids)


async def stats(session: AsyncSession) -> RequestStats:
    return RequestStats(
        requests_per_type=await repository.count_by(session, "service_type"),
        requests_per_status=await repository.count_by(session, "status"),
        mean_hours_to_quote=await repository.mean_hours(session, "quoted_at"),
        mean_hours_to_hand_back=await repository.mean_hours(session, "handed_back_at"),
    )
