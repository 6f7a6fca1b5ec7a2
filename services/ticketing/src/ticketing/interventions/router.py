"""`/api/ticketing/tickets/{reference}/interventions…` (on-site visits and their signed
sheet, remote sessions), each technician's agenda (`/technicians/{login}/agenda`, and an
iCalendar feed with a personal token), and the sheet's PDF by signed link for the
notifier. A ticket the caller may not see is 404 (`deps.Viewer`)."""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Depends, Query, Response

from guichet_common.auth import Principal, require_roles
from guichet_common.http import PRECONDITION_RESPONSES, PROBLEM, IfMatch, SessionDep, etag_for
from guichet_common.idempotency import IdempotencyKey, begin_idempotent
from guichet_common.identity import Role
from guichet_common.pagination import Page, PageParams
from guichet_common.text import Text
from ticketing.db import plumbing
from ticketing.deps import SettingsDep, StaffReads, StaffWrites, TicketReads
from ticketing.interventions import service, signing
from ticketing.interventions.rendering import SheetDocument
from ticketing.interventions.schemas import (
    AgendaLink,
    Bound,
    InterventionIn,
    InterventionOut,
    SheetFormat,
    SignatureIn,
    VisitOut,
)

router = APIRouter(tags=["interventions"])

# The people whose agenda it is: a token, not an API key (what is personal to the caller).
Staff = Annotated[Principal, Depends(require_roles(Role.TECHNICIAN, Role.SUPERVISOR))]

INTERVENTIONS = "/tickets/{reference}/interventions"
INTERVENTION = f"{INTERVENTIONS}/{{intervention_id}}"
READ_RESPONSES: dict[int | str, dict[str, Any]] = {403: PROBLEM, 404: PROBLEM}
PDF: dict[str, Any] = {"application/pdf": {"schema": {"type": "string", "format": "binary"}}}
# The page prints only what the sheet holds and the signature's image: nothing else runs.
PAGE_POLICY = "default-src 'none'; img-src data:; style-src 'unsafe-inline'"


@router.post(
    INTERVENTIONS,
    status_code=201,
    response_model=InterventionOut,
    responses={**READ_RESPONSES, 409: PROBLEM, 422: PROBLEM},
)
async def create_intervention(
    reference: Text,
    data: InterventionIn,
    response: Response,
    session: SessionDep,
    settings: SettingsDep,
    caller: StaffWrites,
    idempotency_key: IdempotencyKey = None,
) -> Any:
    """`mode` `on_site`: a visit by `technician` (an active technician, 422 otherwise), with
    its intervention sheet copied from the ticket now (Demandeur, Utilisateur, N° dossier,
    Objet, Typologie, Localisation, Modèle, GPI, Besoin matériel, Notifiée le) and frozen;
    `planned_for` (the ticket's planned date when left out) puts it on the technician's
    agenda and e-mails them the sheet. `mode` `remote`: a remote session, recorded only with
    the user's `consent` (who, when: at or before `started_at`, how), the tool's
    `session_id`, `started_at`, `ended_at`, `clean_close` and `user_confirmed_working`.
    A closed or cancelled ticket takes none (409 `ticket-closed`). With an
    `Idempotency-Key`, a retry returns the first answer."""
    idempotent = await begin_idempotent(
        session,
        plumbing,
        "intervention",
        idempotency_key,
        {"reference": reference.upper(), **data.root.model_dump(mode="json")},
        owner=caller.subject,
    )
    if idempotent.replay is not None:
        return idempotent.replay
    intervention = await service.create(session, settings, reference, data.root, caller)
    created = InterventionOut.of(intervention)
    await idempotent.complete_created(session, response, created, intervention.version)
    return created


@router.get(INTERVENTIONS, response_model=Page[InterventionOut], responses=READ_RESPONSES)
async def list_interventions(
    reference: Text, session: SessionDep, caller: TicketReads, page: PageParams
) -> Page[InterventionOut]:
    """The ticket's interventions, oldest first."""
    interventions = await service.list_of(session, reference, caller, page)
    return Page.of(interventions, InterventionOut.of)


@router.get(INTERVENTION, response_model=InterventionOut, responses=READ_RESPONSES)
async def get_intervention(
    reference: Text,
    intervention_id: UUID,
    response: Response,
    session: SessionDep,
    caller: TicketReads,
) -> InterventionOut:
    _, intervention = await service.get(session, reference, intervention_id, caller)
    response.headers["ETag"] = etag_for(intervention.version)
    return InterventionOut.of(intervention)


@router.get(
    f"{INTERVENTION}/sheet",
    response_class=Response,
    responses={
        200: {
            "description": "The intervention sheet, in French",
            "content": {"text/html": {"schema": {"type": "string"}}, **PDF},
        },
        **READ_RESPONSES,
        409: PROBLEM,
    },
)
async def intervention_sheet(
    reference: Text,
    intervention_id: UUID,
    session: SessionDep,
    settings: SettingsDep,
    caller: TicketReads,
    sheet_format: Annotated[SheetFormat, Query(alias="format")] = SheetFormat.HTML,
) -> Response:
    """The sheet as a page (`format=html`) or a PDF (`format=pdf`), times in the service's
    time zone. Until it is signed it is rendered as the intervention is now; once signed,
    the PDF is the one stored at the signature, byte for byte, its ETag its SHA-256. A
    remote intervention has none (409 `not-on-site`)."""
    document = await service.sheet(
        session, settings, reference, intervention_id, caller, sheet_format
    )
    return _served(document, f"fiche-intervention-{reference.upper()}")


@router.post(
    f"{INTERVENTION}/signature",
    response_model=InterventionOut,
    responses={
        **READ_RESPONSES,
        409: PROBLEM,
        413: PROBLEM,
        422: PROBLEM,
        **PRECONDITION_RESPONSES,
    },
)
async def sign_intervention(
    reference: Text,
    intervention_id: UUID,
    data: SignatureIn,
    response: Response,
    session: SessionDep,
    settings: SettingsDep,
    caller: StaffWrites,
    if_match: IfMatch = None,
) -> InterventionOut:
    """The user signs the sheet on the technician's tablet: `signature` is a PNG data URL
    (anything else, a PNG with bytes after its end or larger than its bounds, is 422 naming
    `signature`; over `intervention_signature_max_bytes`, 413). The image is decoded and
    drawn again into a fresh PNG (nothing else of the file is kept); the sheet is rendered
    once with it and stored with its SHA-256. Once only (409 `already-signed`), on site only
    (409 `not-on-site`). Needs the intervention's ETag with `If-Match`."""
    intervention = await service.sign(
        session, settings, reference, intervention_id, data, caller, if_match=if_match
    )
    response.headers["ETag"] = etag_for(intervention.version)
    return InterventionOut.of(intervention)


# --- the agenda --------------------------------------------------------------------------------


@router.get(
    "/technicians/{login}/agenda",
    response_model=Page[VisitOut],
    responses={**READ_RESPONSES, 422: PROBLEM},
)
async def technician_agenda(
    login: Text,
    session: SessionDep,
    settings: SettingsDep,
    caller: StaffReads,
    page: PageParams,
    since: Annotated[
        Bound | None, Query(alias="from", description="Default: now; no offset: local time")
    ] = None,
    until: Annotated[
        Bound | None, Query(alias="to", description="Default: 30 days after `from`")
    ] = None,
) -> Page[VisitOut]:
    """The technician's planned visits across schools starting in [`from`, `to`), by time:
    where (site, room), for which ticket, whom to call. A caller limited to some sites sees
    the visits at those."""
    visits = await service.agenda(session, settings, login, since, until, caller, page)
    length = timedelta(minutes=settings.intervention_visit_minutes)
    return Page.of(visits, lambda visit: VisitOut.of(visit, length))


@router.get("/agenda-link", response_model=AgendaLink)
async def agenda_link(settings: SettingsDep, caller: Staff) -> AgendaLink:
    """The caller's personal iCalendar URL of their visits (subscribe to it from any
    calendar app); whoever holds it reads the agenda."""
    return AgendaLink(url=signing.agenda_url(settings, caller.subject))


@router.get(
    "/agenda.ics",
    response_class=Response,
    responses={200: {"content": {"text/calendar": {}}}, 401: PROBLEM},
)
async def agenda_feed(token: Text, session: SessionDep, settings: SettingsDep) -> Response:
    """A technician's visits, from 30 days back to a year ahead; the token names them."""
    body = await service.agenda_feed(session, settings, token)
    return Response(body, media_type="text/calendar; charset=utf-8")


@router.get(
    "/intervention-sheets/{reference}.pdf",
    response_class=Response,
    responses={200: {"content": PDF}, 401: PROBLEM, 404: PROBLEM},
)
async def sheet_by_link(
    reference: Text, token: Text, session: SessionDep, settings: SettingsDep
) -> Response:
    """The sheet's PDF through the expiring link its planned event carries (`sheet_url`),
    for the notifier to attach to the technician's e-mail. 401 once expired."""
    document = await service.sheet_by_link(session, settings, reference, token)
    return _served(document, f"fiche-intervention-{reference.upper()}")


def _served(document: SheetDocument, name: str) -> Response:
    headers = {"Cache-Control": "private", "X-Content-Type-Options": "nosniff"}
    if document.sha256 is not None:
        headers["ETag"] = f'"{document.sha256}"'
    if document.media_type == "application/pdf":
        headers["Content-Disposition"] = f'inline; filename="{name}.pdf"'
    else:
        headers["Content-Security-Policy"] = PAGE_POLICY
    return Response(document.content, media_type=document.media_type, headers=headers)
