"""Requests: creation, the state machine and its history, assignment, deadlines, retention,
statistics. Other domains (quotes, planning, the lifecycle) move a request through `move`."""

from __future__ import annotations

import re
import secrets
from datetime import date, datetime, timedelta
from typing import Any
from uuid import UUID

from sqlalchemy.ext.asyncio import AsyncSession

from garage import workdays
from garage.errors import TransitionNotAllowed
from garage.events import (
    DeadlineMissedV1,
    RequestStatusChangedV1,
    RequestSubmittedV1,
    outbox,
)
from garage.normalisation import is_provisional_plate
from garage.numbering.repository import next_reference
from garage.requests import repository
from garage.requests.models import GarageRequest, RequestHistory, RequestStatus
from garage.requests.models import RequestStatus as S
from garage.requests.schemas import (
    DEADLINE_LABELS,
    SERVICE_LABELS,
    STATUS_LABELS,
    URGENCY_LABELS,
    Assignment,
    RequestDetail,
    RequestStats,
    RequestSubmission,
)
from garage.settings import GarageSettings
from guichet_common.events import new_event_id
from guichet_common.http import InvalidInput, NotFound, check_if_match
from guichet_common.pagination import Paged, PageRequest

# Where a car can be before the work is finished.
_OPEN = frozenset({S.SUBMITTED, S.TRIAGED, S.QUOTED, S.ACCEPTED, S.SCHEDULED, S.IN_PROGRESS})

# Actions a teacher takes: action -> (states it applies to, state it leads to; None: the
# status stays, the action is recorded in the history).
# Quote decisions move quoted -> accepted | refused | expired (see quotes.service).
TRANSITIONS: dict[str, tuple[frozenset[S], S | None]] = {
    "triage": (frozenset({S.SUBMITTED}), S.TRIAGED),
    "drop_off": (_OPEN - {S.IN_PROGRESS}, None),  # the car is at the garage
    "diagnose": (_OPEN, None),
    "schedule": (frozenset({S.ACCEPTED}), S.SCHEDULED),
    "start": (frozenset({S.ACCEPTED, S.SCHEDULED}), S.IN_PROGRESS),
    "finish": (frozenset({S.IN_PROGRESS}), S.DONE),
    "hand_back": (frozenset({S.DONE}), S.HANDED_BACK),
    "archive": (frozenset({S.HANDED_BACK, S.REFUSED, S.EXPIRED, S.CANCELLED}), S.ARCHIVED),
    "cancel": (_OPEN, S.CANCELLED),
}

# A tracking token is 24 random bytes, URL-safe base64: anything else was never issued.
TRACKING_TOKEN_BYTES = 24
TRACKING_TOKEN_SHAPE = re.compile(f"[A-Za-z0-9_-]{{{4 * TRACKING_TOKEN_BYTES // 3}}}")


def allowed_actions(status: RequestStatus) -> list[str]:
    return [action for action, (sources, _) in TRANSITIONS.items() if status in sources]


def target_of(request: GarageRequest, action: str) -> RequestStatus:
    """Where `action` leads from the request's status; 409 with the allowed actions if it
    does not apply there."""
    sources, target = TRANSITIONS[action]
    if request.status not in sources:
        raise TransitionNotAllowed(
            f"cannot {action} a request that is {request.status}",
            status_now=request.status,
            allowed_actions=allowed_actions(request.status),
        )
    return request.status if target is None else target


def tracking_url(settings: GarageSettings, request: GarageRequest) -> str:
    return f"{settings.public_base_url}/garage/suivi/{request.tracking_token}"


def event_fields(settings: GarageSettings, request: GarageRequest, subject: str) -> dict[str, Any]:
    """What every request event carries for the notifier."""
    return {
        "request_id": request.id,
        "request_number": request.number,
        "client_email": request.email,
        "client_name": f"{request.first_name} {request.last_name}",
        "subject": f"{subject} — {request.number}",
        "tracking_url": tracking_url(settings, request),
    }


def new_request(settings: GarageSettings, data: RequestSubmission, now: datetime) -> GarageRequest:
    """A client's request, not stored yet and without its number (`store_new` gives it)."""
    return GarageRequest(
        id=new_event_id(),
        status=S.SUBMITTED,
        **data.model_dump(exclude={"consent"}),
        provisional_plate=is_provisional_plate(data.plate),
        consent_at=now,
        tracking_token=secrets.token_urlsafe(TRACKING_TOKEN_BYTES),
        submitted_at=now,
        quote_due_at=_due(
            settings, now.astimezone(settings.zone).date(), settings.quote_deadline_working_days
        ),
    )


def _due(settings: GarageSettings, start: date, working_days: int) -> datetime:
    """When the `working_days`-th working day of the garage after `start` ends."""
    last = workdays.add_working_days(start, working_days, settings.school_zone, settings.department)
    return workdays.end_of_day(last, settings.zone)


def record_drop_off(
    settings: GarageSettings, request: GarageRequest, dropped_off_on: date | None, now: datetime
) -> None:
    """The "date de dépôt" (today by default): the diagnosis is due from it. A later call
    corrects the date, until the diagnosis is recorded."""
    today = now.astimezone(settings.zone).date()
    day = dropped_off_on or today
    if day > today:
        raise InvalidInput("the drop-off date cannot be in the future", field="dropped_off_on")
    if day < request.submitted_at.astimezone(settings.zone).date():
        raise InvalidInput(
            "the car cannot be dropped off before the request", field="dropped_off_on"
        )
    if request.diagnosed_at is not None:
        raise TransitionNotAllowed(
            "the diagnosis is recorded: the drop-off date is final",
            allowed_actions=allowed_actions(request.status),
        )
    request.dropped_off_on = day
    request.diagnosis_due_at = _due(settings, day, settings.diagnosis_deadline_working_days)


def record_diagnosis(request: GarageRequest, diagnosis: str | None, now: datetime) -> None:
    """What the teachers found, once the car is at the garage: meets the diagnosis deadline."""
    if diagnosis is None:
        raise InvalidInput("diagnose needs the diagnosis text", field="diagnosis")
    if request.dropped_off_on is None:
        raise TransitionNotAllowed(
            "the car has not been dropped off: record the drop-off first",
            allowed_actions=allowed_actions(request.status),
        )
    request.diagnosis = diagnosis
    request.diagnosed_at = request.diagnosed_at or now


async def store_new(
    session: AsyncSession, settings: GarageSettings, request: GarageRequest, now: datetime
) -> None:
    """Number and store a new request with its first history line and its event.

    The year's counter row stays locked from the number until commit, and every
    submission waits for it: the number is taken last, after what needs none (the history
    line here, the draft quote before; their foreign keys are checked at commit)."""
    await _record(session, request, "submit", None, "client", None)
    request.number = await next_reference(session, "DEM", now.astimezone(settings.zone).year)
    await repository.save(session, request)
    await outbox.publish(
        session,
        RequestSubmittedV1(
            **event_fields(settings, request, "Votre demande au garage pédagogique"),
            service_type=request.service_type,
            service_type_label=SERVICE_LABELS[request.service_type],
            urgency=request.urgency,
            urgency_label=URGENCY_LABELS[request.urgency],
            plate=request.plate,
            make=request.make,
            model=request.model,
            description=request.description,
            submitted_at=now,
        ),
        subject=request.number,
    )


async def _record(
    session: AsyncSession,
    request: GarageRequest,
    action: str,
    from_status: RequestStatus | None,
    actor: str,
    note: str | None,
) -> None:
    await repository.add_history(
        session,
        RequestHistory(
            request_id=request.id,
            action=action,
            from_status=from_status,
            to_status=request.status,
            actor=actor,
            note=note,
        ),
    )


async def get_request(
    session: AsyncSession, number: str, *, for_update: bool = False
) -> GarageRequest:
    request = await repository.get_by_number(session, number, for_update=for_update)
    if request is None:
        raise NotFound(f"no request {number}")
    return request


async def get_by_id(
    session: AsyncSession, request_id: UUID, *, for_update: bool = False
) -> GarageRequest:
    """The request a quote or a booking belongs to."""
    request = await repository.get_by_id(session, request_id, for_update=for_update)
    if request is None:
        raise NotFound(f"no request {request_id}")
    return request


async def move(
    session: AsyncSession,
    settings: GarageSettings,
    request: GarageRequest,
    *,
    action: str,
    to_status: RequestStatus,
    actor: str,
    note: str | None = None,
) -> GarageRequest:
    """Every action: the row and a history line; a status change also publishes its event,
    together. The caller sets what else the action changes on `request` before."""
    from_status = request.status
    if to_status == from_status:  # drop_off, diagnose: recorded, nothing to tell
        await repository.save(session, request)
        await _record(session, request, action, from_status, actor, note)
        return request
    request.status = to_status
    await repository.save(session, request)
    await _record(session, request, action, from_status, actor, note)
    await outbox.publish(
        session,
        RequestStatusChangedV1(
            **event_fields(settings, request, "Suivi de votre demande"),
            action=action,
            from_status=from_status,
            to_status=to_status,
            status_label=STATUS_LABELS[to_status],
        ),
        subject=request.number,
    )
    return request


async def assign(
    session: AsyncSession, number: str, data: Assignment, *, actor: str, if_match: str | None
) -> GarageRequest:
    request = await get_request(session, number, for_update=True)
    check_if_match(if_match, request.version)
    request.teachers = data.teachers
    request.student_group = data.student_group
    await repository.save(session, request)
    await _record(
        session,
        request,
        "assign",
        request.status,
        actor,
        f"enseignants : {', '.join(data.teachers) or '—'} ; groupe : {data.student_group or '—'}",
    )
    return request


async def detail(
    session: AsyncSession, settings: GarageSettings, request: GarageRequest
) -> RequestDetail:
    return RequestDetail.build(
        request, await repository.history(session, request.id), tracking_url(settings, request)
    )


async def history(session: AsyncSession, request: GarageRequest) -> list[RequestHistory]:
    return await repository.history(session, request.id)


async def list_requests(
    session: AsyncSession,
    *,
    status: RequestStatus | None,
    overdue: bool | None,
    page: PageRequest,
) -> Paged[GarageRequest]:
    return await repository.list_requests(session, status=status, overdue=overdue, page=page)


async def by_tracking_token(session: AsyncSession, token: str) -> GarageRequest:
    issued = TRACKING_TOKEN_SHAPE.fullmatch(token) is not None  # else no query: not ours
    request = await repository.get_by_tracking_token(session, token) if issued else None
    if request is None:
        raise NotFound("unknown tracking link")
    return request


async def flag_missed_deadlines(
    session: AsyncSession, settings: GarageSettings, now: datetime
) -> int:
    """The deadline timer: each missed deadline is flagged once and published once."""
    flagged = 0
    for deadline in ("quote", "diagnosis"):
        requests = await repository.claim_missed_deadlines(session, now, deadline)
        events = []
        for request in requests:
            if deadline == "quote":
                request.quote_deadline_missed_at = now
                due_at = request.quote_due_at
            else:
                request.diagnosis_deadline_missed_at = now
                assert request.diagnosis_due_at is not None  # claimed for being past it
                due_at = request.diagnosis_due_at
            await repository.save(session, request)
            event = DeadlineMissedV1(
                **event_fields(settings, request, "Délai dépassé"),
                deadline=deadline,
                deadline_label=DEADLINE_LABELS[deadline],
                due_at=due_at,
            )
            events.append((event, request.number))
        await outbox.publish_many(session, events)
        flagged += len(requests)
    return flagged


async def anonymise_closed(
    session: AsyncSession, settings: GarageSettings, now: datetime
) -> list[UUID]:
    """The client's personal data is erased from requests closed for longer than
    `personal_data_retention_days` (a batch, each request once); their ids are returned
    for the other domains to forget them too."""
    request_ids = await repository.claim_to_anonymise(
        session, now - timedelta(days=settings.personal_data_retention_days)
    )
    if request_ids:
        await repository.anonymise(session, request_ids, now)
    return request_ids


async def stats(session: AsyncSession) -> RequestStats:
    return RequestStats(
        requests_per_type=await repository.count_by(session, GarageRequest.service_type),
        requests_per_status=await repository.count_by(session, GarageRequest.status),
        mean_hours_to_quote=await repository.mean_hours(session, GarageRequest.quoted_at),
        mean_hours_to_hand_back=await repository.mean_hours(session, GarageRequest.handed_back_at),
    )
