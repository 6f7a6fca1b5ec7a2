"""Submissions, transitions and retention: what spans requests, quotes and planning."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from garage.errors import QuoteNotAccepted
from garage.events import RequestReadyForPickupV1, RequestScheduledV1, ScheduledSession, outbox
from garage.planning import service as planning
from garage.quotes import service as quotes
from garage.requests import service as requests
from garage.requests.models import GarageRequest
from garage.requests.schemas import RequestSubmission, TransitionRequest
from garage.settings import GarageSettings
from guichet_common.events import utcnow
from guichet_common.http import check_if_match


async def submit(
    session: AsyncSession, settings: GarageSettings, data: RequestSubmission
) -> GarageRequest:
    """A client's request, numbered, with version 1 of its quote drafted from the catalogue."""
    now = utcnow()
    request = requests.new_request(settings, data, now)
    await quotes.draft_from_catalogue(session, settings, request)
    await requests.store_new(session, settings, request, now)
    return request


async def transition(
    session: AsyncSession,
    settings: GarageSettings,
    number: str,
    command: TransitionRequest,
    *,
    actor: str,
    if_match: str | None,
) -> GarageRequest:
    """A teacher's action on a request (`requests.service.TRANSITIONS`), with what it
    implies elsewhere: no work without an accepted quote, bays booked and given back."""
    request = await requests.get_request(session, number, for_update=True)
    check_if_match(if_match, request.version)
    target = requests.target_of(request, command.action)
    now = utcnow()
    booked = []
    match command.action:
        case "start":
            accepted, pending_supplement = await quotes.gate_state(session, request)
            if not accepted or pending_supplement:
                raise QuoteNotAccepted(
                    "an accepted quote is required"
                    if not accepted
                    else "a supplement (avenant) awaits the client's decision",
                    status_now=request.status,
                    allowed_actions=requests.allowed_actions(request.status),
                )
        case "schedule":
            booked = await planning.book(session, request, command.session_ids)
        case "triage":
            request.triaged_at = now
        case "finish":
            if command.work_done:
                request.work_done = command.work_done
        case "hand_back":
            request.handed_back_at = now
        case "cancel":
            await planning.release(session, request)
    await requests.move(
        session,
        settings,
        request,
        action=command.action,
        to_status=target,
        actor=actor,
        note=command.note,
    )
    if command.action == "schedule":
        await outbox.publish(
            session,
            RequestScheduledV1(
                **requests.event_fields(settings, request, "Rendez-vous au garage pédagogique"),
                sessions=[
                    ScheduledSession(starts_at=s.starts_at, ends_at=s.ends_at) for s in booked
                ],
                teachers=sorted({*request.teachers, *(s.teacher for s in booked)}),
                student_group=request.student_group,
            ),
            subject=request.number,
        )
    elif command.action == "finish":
        await outbox.publish(
            session,
            RequestReadyForPickupV1(
                **requests.event_fields(settings, request, "Votre véhicule est prêt"),
                plate=request.plate,
            ),
            subject=request.number,
        )
    return request


async def erase_closed_clients(
    session: AsyncSession, settings: GarageSettings, now: datetime
) -> int:
    """Retention: who the client was is erased from requests closed long enough ago, and
    from their quotes (a batch per call)."""
    request_ids = await requests.anonymise_closed(session, settings, now)
    if request_ids:
        await quotes.forget_clients(session, request_ids)
    return len(request_ids)
