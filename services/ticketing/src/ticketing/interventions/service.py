"""The rules of interventions: who records them, what a sheet freezes, how it is signed
once and kept byte for byte, remote help only with consent, the visits a ticket's `plan`
action puts on a technician's agenda, and the gate that keeps a ticket with an unsigned
sheet from closing.

The lifecycle calls two functions of this module: `plan_visit` when a ticket is planned,
and `check_close` before it closes."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID

from sqlalchemy.ext.asyncio import AsyncSession

from guichet_common.auth import Principal
from guichet_common.events import new_event_id, utcnow
from guichet_common.http import (
    Conflict,
    Forbidden,
    InvalidInput,
    NotFound,
    Unauthorized,
    check_if_match,
)
from guichet_common.identity import Role
from guichet_common.pagination import Paged, PageRequest
from ticketing.deps import Viewer
from ticketing.events import (
    InterventionPlannedV1,
    InterventionRemoteSessionRecordedV1,
    InterventionSignedV1,
    outbox,
)
from ticketing.interventions import rendering, repository, signing
from ticketing.interventions.models import (
    COPIED_FROM_TICKET,
    Intervention,
    InterventionSignature,
    Mode,
)
from ticketing.interventions.schemas import (
    OnSiteIn,
    RemoteIn,
    SheetFormat,
    SignatureIn,
    UnsignedOut,
    event_fields,
    remote_fields,
    visit_fields,
)
from ticketing.park import repository as park
from ticketing.settings import TicketingSettings
from ticketing.staff import repository as staff
from ticketing.staff.models import Technician
from ticketing.tickets import repository as tickets
from ticketing.tickets.models import STATUS_LABELS, Status, Ticket

# What the history keeps of a reason (`ticket_change.reason`).
REASON_MAX = 1000
FINISHED = frozenset({Status.CLOSED, Status.CANCELLED})


class TicketFinished(Conflict):
    slug, title = "ticket-closed", "The ticket is closed or cancelled"


class UnsignedIntervention(Conflict):
    slug, title = "unsigned-intervention", "An on-site intervention's sheet is not signed"


class AlreadySigned(Conflict):
    slug, title = "already-signed", "The intervention sheet is already signed"


class NotOnSite(Conflict):
    slug, title = "not-on-site", "A remote intervention has no sheet"


# --- recording interventions ------------------------------------------------------------------


async def create(
    session: AsyncSession,
    settings: TicketingSettings,
    reference: str,
    data: OnSiteIn | RemoteIn,
    principal: Principal,
    *,
    now: datetime | None = None,
) -> Intervention:
    """An on-site visit (its sheet copied from the ticket; planned, the technician is sent
    it) or a remote session (with the consent given before it started); 409 on a closed
    or cancelled ticket, 422 naming `technician` if it is not an active technician."""
    now = now or utcnow()
    ticket = await tickets.get_visible(session, reference, Viewer.of(principal))
    if ticket.status in FINISHED:
        raise TicketFinished(
            f"{ticket.reference} is {STATUS_LABELS[ticket.status]}: reopen it first",
            ticket_status=ticket.status.value,
        )
    technician = await _technician(session, data.technician)
    intervention = Intervention(
        id=new_event_id(),
        ticket_id=ticket.id,
        description=data.description,
        created_by=principal.subject,
        created_at=now,
        updated_at=now,
        **await _copied_from(session, ticket),
    )
    _assign(intervention, technician)
    match data:
        case OnSiteIn():
            intervention.mode = Mode.ON_SITE
            planned_for = data.planned_for or ticket.planned_for
            intervention.planned_for = planned_for.astimezone(UTC) if planned_for else None
            if data.hardware_need is not None:
                intervention.hardware_need = data.hardware_need or None
        case RemoteIn():
            _record_remote(intervention, data)
    repository.add(session, intervention)
    tickets.record_change(
        session,
        ticket,
        actor=principal.subject,
        actor_name=principal.name,
        action="intervention_added",
        changes={"intervention": [None, str(intervention.id)], "mode": [None, data.mode.value]},
    )
    await repository.save(session)
    if intervention.mode is Mode.REMOTE:
        await outbox.publish(
            session,
            InterventionRemoteSessionRecordedV1(
                **event_fields(intervention, principal), **remote_fields(intervention)
            ),
            subject=intervention.reference,
        )
    elif intervention.planned_for is not None:
        await _announce_visit(session, settings, intervention, principal, now, None, None)
    return intervention


def _record_remote(intervention: Intervention, data: RemoteIn) -> None:
    """The session, refused unless the user agreed before it started and it ended after."""
    if data.consent.given_at > data.started_at:
        raise InvalidInput(
            "consent.given_at: the user's consent must be given before the session starts",
            field="consent.given_at",
        )
    if data.ended_at < data.started_at:
        raise InvalidInput("ended_at must not be before started_at", field="ended_at")
    intervention.mode = Mode.REMOTE
    consent = data.consent
    intervention.consent_given_by, intervention.consent_how = consent.given_by, consent.how
    # In UTC, as every time the API returns.
    intervention.consent_given_at = consent.given_at.astimezone(UTC)
    intervention.started_at = data.started_at.astimezone(UTC)
    intervention.ended_at = data.ended_at.astimezone(UTC)
    for name in ("session_id", "clean_close", "user_confirmed_working"):
        setattr(intervention, name, getattr(data, name))


async def list_of(
    session: AsyncSession, reference: str, principal: Principal, page: PageRequest
) -> Paged[Intervention]:
    ticket = await tickets.get_visible(session, reference, Viewer.of(principal))
    return await repository.of_ticket(session, ticket, page)


async def get(
    session: AsyncSession,
    reference: str,
    intervention_id: UUID,
    principal: Principal,
    *,
    for_update: bool = False,
) -> tuple[Ticket, Intervention]:
    """The intervention of a ticket the caller sees; 404 otherwise."""
    ticket = await tickets.get_visible(session, reference, Viewer.of(principal))
    intervention = await repository.get(session, ticket, intervention_id, for_update=for_update)
    if intervention is None:
        raise NotFound(f"no intervention {intervention_id} on {ticket.reference}")
    return ticket, intervention


# --- the sheet and its signature ---------------------------------------------------------------


async def sheet(
    session: AsyncSession,
    settings: TicketingSettings,
    reference: str,
    intervention_id: UUID,
    principal: Principal,
    sheet_format: SheetFormat,
) -> rendering.SheetDocument:
    _, intervention = await get(session, reference, intervention_id, principal)
    return await _document(session, settings, intervention, sheet_format)


async def _document(
    session: AsyncSession,
    settings: TicketingSettings,
    intervention: Intervention,
    sheet_format: SheetFormat,
) -> rendering.SheetDocument:
    if intervention.mode is not Mode.ON_SITE:
        raise NotOnSite("a remote intervention has no sheet")
    signed = await repository.signature(session, intervention) if intervention.signed_at else None
    return await rendering.sheet_document(
        intervention, signed, settings.zone, as_pdf=sheet_format is SheetFormat.PDF
    )


async def sign(
    session: AsyncSession,
    settings: TicketingSettings,
    reference: str,
    intervention_id: UUID,
    data: SignatureIn,
    principal: Principal,
    *,
    if_match: str | None,
    now: datetime | None = None,
) -> Intervention:
    """The user signs the sheet on the technician's tablet: the image checked and
    re-encoded (`signing`), the sheet rendered once with it and stored with its SHA-256.
    428/412 on If-Match; 409 for a remote intervention or a sheet already signed."""
    now = now or utcnow()
    ticket, intervention = await get(
        session, reference, intervention_id, principal, for_update=True
    )
    check_if_match(if_match, intervention.version)
    if intervention.mode is not Mode.ON_SITE:
        raise NotOnSite("a remote intervention has no sheet to sign")
    if intervention.signed_at is not None:
        raise AlreadySigned(
            f"signed by {intervention.signer_name} on {intervention.signed_at.isoformat()}",
            sheet_sha256=intervention.sheet_sha256,
        )
    raw = signing.decode_data_url(data.signature, settings.intervention_signature_max_bytes)
    image = signing.reencode(
        raw,
        max_width=settings.intervention_signature_max_width,
        max_height=settings.intervention_signature_max_height,
    )
    intervention.signer_name = data.signer_name
    intervention.signed_at = now
    pdf = await rendering.sheet_pdf(
        rendering.sheet_html(intervention, settings.zone, image.data_url())
    )
    intervention.sheet_sha256 = hashlib.sha256(pdf).hexdigest()
    intervention.updated_at = now
    repository.add(
        session,
        InterventionSignature(
            intervention_id=intervention.id,
            image_png=image.png,
            width=image.width,
            height=image.height,
            sheet_pdf=pdf,
            signed_by=principal.subject,
            created_at=now,
        ),
    )
    tickets.record_change(
        session,
        ticket,
        actor=principal.subject,
        actor_name=principal.name,
        action="intervention_signed",
        changes={"signer_name": [None, data.signer_name]},
    )
    await repository.save(session)
    await outbox.publish(
        session,
        InterventionSignedV1(
            **event_fields(intervention, principal),
            signer_name=data.signer_name,
            signed_at=now,
            sheet_sha256=intervention.sheet_sha256,
        ),
        subject=intervention.reference,
    )
    return intervention


# --- what the lifecycle calls ------------------------------------------------------------------


async def plan_visit(
    session: AsyncSession,
    settings: TicketingSettings,
    ticket: Ticket,
    technician_login: str,
    planned_for: datetime,
    principal: Principal,
    now: datetime,
) -> Intervention:
    """The ticket's visit at `planned_for` by `technician_login`: its newest unsigned
    on-site intervention moved there, or a new one (its sheet copied from the ticket, the
    ticket's description as what to do). Announced (`InterventionPlannedV1`, with
    `moved_from`) unless nothing changed. Writes no history: the `plan` action does."""
    technician = await _technician(session, technician_login)
    planned_for = planned_for.astimezone(UTC)  # read back in UTC, as every time the API gives
    unsigned = await repository.unsigned_on_site(session, ticket, for_update=True)
    moved_from: datetime | None = None
    previous: str | None = None  # the technician it was taken from, if another
    if unsigned:
        intervention = unsigned[0]
        moved_from = intervention.planned_for
        if moved_from == planned_for and intervention.technician == technician.login:
            return intervention
        if intervention.technician != technician.login:
            previous = intervention.technician
        _assign(intervention, technician)
        intervention.planned_for = planned_for
        intervention.updated_at = now
    else:
        intervention = Intervention(
            id=new_event_id(),
            ticket_id=ticket.id,
            mode=Mode.ON_SITE,
            description=ticket.description,
            planned_for=planned_for,
            created_by=principal.subject,
            created_at=now,
            updated_at=now,
            **await _copied_from(session, ticket),
        )
        _assign(intervention, technician)
        repository.add(session, intervention)
    await repository.save(session)
    await _announce_visit(session, settings, intervention, principal, now, moved_from, previous)
    return intervention


async def check_close(
    session: AsyncSession,
    ticket: Ticket,
    principal: Principal,
    override_reason: str | None,
) -> str | None:
    """Whether `ticket` may close as far as its interventions go: nothing to say (None)
    when every on-site sheet is signed; 409 `unsigned-intervention` listing the unsigned
    ones; unless a supervisor (or an admin) writes why (`override_reason`): then the text
    the history must keep. A technician's override is 403."""
    unsigned = await repository.unsigned_on_site(session, ticket)
    if not unsigned:
        return None
    reason = (override_reason or "").strip()
    if not reason:
        raise UnsignedIntervention(
            f"{ticket.reference} has {len(unsigned)} on-site intervention(s) whose sheet is "
            "not signed: have it signed, or a supervisor may close it giving a reason "
            "(`override_reason`)",
            interventions=[
                UnsignedOut.model_validate(i, from_attributes=True).model_dump(mode="json")
                for i in unsigned
            ],
        )
    if not principal.has_any_role(Role.SUPERVISOR):
        raise Forbidden("only a supervisor may close a ticket whose intervention sheet is unsigned")
    kept = f"Clos sans fiche d'intervention signée ({len(unsigned)}) : {reason}"
    return kept if len(kept) <= REASON_MAX else kept[: REASON_MAX - 1] + "…"


# --- the agenda --------------------------------------------------------------------------------


async def agenda(
    session: AsyncSession,
    settings: TicketingSettings,
    login: str,
    since: datetime | None,
    until: datetime | None,
    principal: Principal,
    page: PageRequest,
    *,
    now: datetime | None = None,
) -> Paged[Intervention]:
    """`login`'s visits in [since, until): from now and for 30 days unless said; a bound
    without an offset is the service's local time. A caller limited to some sites sees the
    visits at those."""
    if await staff.find_technician(session, login) is None:
        raise NotFound(f"no technician {login}")
    start = _in_zone(since, settings) if since is not None else now or utcnow()
    end = _in_zone(until, settings) if until is not None else start + timedelta(days=30)
    if end <= start:
        raise InvalidInput("to must be after from", field="to")
    covered = Viewer.of(principal).sites
    return await repository.agenda(session, login, start, end, page, covered=covered)


async def agenda_feed(
    session: AsyncSession, settings: TicketingSettings, token: str, *, now: datetime | None = None
) -> bytes:
    """The visits of the technician the token names, from 30 days back to a year ahead."""
    login = signing.agenda_login(settings, token)
    if login is None:
        raise Unauthorized("invalid agenda token")
    now = now or utcnow()
    visits = await repository.agenda_all(
        session, login, now - timedelta(days=30), now + timedelta(days=365)
    )
    technician = await staff.find_technician(session, login)
    return rendering.agenda_ics(
        visits,
        technician_name=technician.name if technician is not None else login,
        visit_length=timedelta(minutes=settings.intervention_visit_minutes),
        now=now,
    )


# --- the sheet's link for the notifier ---------------------------------------------------------


async def sheet_by_link(
    session: AsyncSession,
    settings: TicketingSettings,
    reference: str,
    token: str,
    *,
    now: datetime | None = None,
) -> rendering.SheetDocument:
    """The sheet's PDF through `signing.sheet_link`: 401 for a forged or expired token,
    404 when the reference is not the intervention's."""
    intervention_id = signing.sheet_intervention(settings, token, now or utcnow())
    if intervention_id is None:
        raise Unauthorized("invalid or expired link")
    intervention = await repository.get_by_id(session, intervention_id)
    if intervention is None or intervention.reference != reference.upper():
        raise NotFound("no such intervention sheet")
    return await _document(session, settings, intervention, SheetFormat.PDF)


# --- shared ------------------------------------------------------------------------------------


async def _technician(session: AsyncSession, login: str) -> Technician:
    technician = await staff.find_technician(session, login)
    if technician is None or not technician.active:
        raise InvalidInput(f"technician: no active technician {login}", field="technician")
    return technician


def _assign(intervention: Intervention, technician: Technician) -> None:
    intervention.technician = technician.login
    intervention.technician_name = technician.name
    intervention.technician_email = technician.email


async def _copied_from(session: AsyncSession, ticket: Ticket) -> dict[str, Any]:
    """What the sheet shows of the ticket, frozen with it, and the site's address."""
    site = await park.find_site(session, ticket.site_code)
    return {name: getattr(ticket, name) for name in COPIED_FROM_TICKET} | {
        "notified_at": ticket.created_at,
        "site_address": site.address if site is not None else None,
    }


def _in_zone(moment: datetime, settings: TicketingSettings) -> datetime:
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=settings.zone)


async def _announce_visit(
    session: AsyncSession,
    settings: TicketingSettings,
    intervention: Intervention,
    principal: Principal,
    now: datetime,
    moved_from: datetime | None,
    previous_technician: str | None,
) -> None:
    """Everything the sheet e-mail needs, and the link the notifier attaches the PDF from."""
    planned_for = intervention.planned_for
    assert planned_for is not None
    url, expires_at = signing.sheet_link(settings, intervention, now)
    await outbox.publish(
        session,
        InterventionPlannedV1(
            **event_fields(intervention, principal),
            **visit_fields(intervention),
            planned_for=planned_for,
            planned_until=planned_for + timedelta(minutes=settings.intervention_visit_minutes),
            moved_from=moved_from,
            previous_technician=previous_technician,
            sheet_url=url,
            sheet_url_expires_at=expires_at,
        ),
        subject=intervention.reference,
    )
