"""Submissions, transitions and retention: what spans requests, quotes, planning and
invoices."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from garage.errors import QuoteNotAccepted
from garage.events import RequestReadyForPickupV1, outbox
from garage.invoices import service as invoices
from garage.planning import service as planning
from garage.quotes import service as quotes
from garage.requests import service as requests
from garage.requests.models import GarageRequest
from garage.requests.schemas import RequestSubmission, TransitionRequest
from garage.settings import GarageSettings
from guichet_common.events import utcnow
from guichet_common.http import InvalidInput, check_if_match


async def submit(
    session: AsyncSession,
    settings: GarageSettings,
    data: RequestSubmission,
    now: datetime | None = None,
) -> GarageRequest:
    """A client's request, numbered, with version 1 of its quote drafted from the catalogue.
    `now` (default: the clock) decides the number's year and the deadlines."""
    now = now or utcnow()
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
    now: datetime | None = None,
) -> GarageRequest:
    """A teacher's action on a request (`requests.service.TRANSITIONS`), with what it
    implies elsewhere: no work without an accepted quote, bays booked and given back."""
    request = await requests.get_request(session, number, for_update=True)
    check_if_match(if_match, request.version)
    target = requests.target_of(request, command.action)
    now = now or utcnow()
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
            await planning.book(session, request, command.session_ids)
        case "triage":
            request.triaged_at = now
        case "drop_off":
            requests.record_drop_off(settings, request, command.dropped_off_on, now)
        case "diagnose":
            requests.record_diagnosis(request, command.diagnosis, now)
        case "finish":
            if command.mileage_km is None:
                raise InvalidInput(
                    "finish records the mileage read at the end of the work", field="mileage_km"
                )
            request.final_mileage_km = command.mileage_km
            if command.work_done:
                request.work_done = command.work_done
            # Drawn in this transaction, before the move: a finish that fails issues none.
            invoice = await invoices.issue(session, settings, request, actor=actor, now=now)
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
        await planning.announce_schedule(
            session, settings, request, "Rendez-vous au garage pédagogique"
        )
    elif command.action == "finish":
        await outbox.publish(
            session,
            RequestReadyForPickupV1(
                **requests.event_fields(settings, request, "Votre véhicule est prêt"),
                plate=request.plate,
                invoice_number=invoice.number,
                invoice_total_incl_tax=invoice.total_ttc,
                invoice_pdf_url=invoices.public_pdf_url(settings, request),
            ),
            subject=request.number,
        )
    return request


async def erase_closed_clients(
    session: AsyncSession, settings: GarageSettings, now: datetime
) -> int:
    """Retention: who the client was is erased from requests closed long enough ago, and
    from their quotes (a batch per call). Invoices are kept: the accounts keep them ten
    years (`invoices.models`)."""
    request_ids = await requests.anonymise_closed(session, settings, now)
    if request_ids:
        await quotes.forget_clients(session, request_ids)
    return len(request_ids)
