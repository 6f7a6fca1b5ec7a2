"""The public pages (French, server-rendered, no JavaScript needed): request form, quote
decision, tracking and repair note."""

from __future__ import annotations

from typing import Any
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.exceptions import HTTPException as StarletteHTTPException

from garage import documents
from garage.deps import (
    PayloadTooLarge,
    RateLimited,
    SettingsDep,
    StateDep,
    check_rate,
    check_size,
)
from garage.errors import LinkGone
from garage.invoices import service as invoices
from garage.lifecycle import service as lifecycle
from garage.pages import service
from garage.quotes import service as quotes
from garage.ratelimit import client_ip
from garage.requests import service as requests
from garage.requests.models import ServiceType, Urgency
from garage.requests.schemas import (
    SERVICE_LABELS,
    STATUS_LABELS,
    URGENCY_LABELS,
    RequestSubmission,
)
from garage.settings import GarageSettings
from guichet_common.http import NotFound, ProblemError, SessionDep, problem_response
from guichet_common.text import NUL

router = APIRouter()


class PageNotFound(Exception):
    """A public link that leads nowhere: an HTML page, not problem+json."""


FORM_FIELDS = (
    "last_name",
    "first_name",
    "email",
    "phone",
    "plate",
    "make",
    "model",
    "vin",
    "mileage_km",
    "service_type",
    "description",
    "urgency",
)
HONEYPOT = "website"  # hidden from people; bots fill it in

_MESSAGES = {
    "missing": "Ce champ est obligatoire.",
    "string_too_short": "Ce champ est obligatoire.",
    "string_too_long": "Texte trop long.",
    "int_parsing": "Indiquez un nombre entier de kilomètres.",
    "greater_than_equal": "La valeur doit être positive.",
    "less_than_equal": "Valeur trop grande.",
    "enum": "Choisissez une valeur de la liste.",
    "bool_parsing": "Valeur invalide.",
    "nul_character": "Ce texte contient un caractère invisible non autorisé (NUL).",
}


def _french(error: dict[str, Any]) -> str:
    if error["type"] == "value_error":
        message = str(error["msg"]).removeprefix("Value error, ")
        if "email" in message.lower() or "@" in message:
            return "Adresse e-mail invalide."
        return message[:1].upper() + message[1:] + ("" if message.endswith(".") else ".")
    return _MESSAGES.get(error["type"], "Valeur invalide.")


def _html(
    template: str, status_code: int = 200, *, zone: ZoneInfo | None = None, **context: Any
) -> HTMLResponse:
    """A page; `zone` (the garage's time zone) for pages that print times."""
    return HTMLResponse(documents.render(template, zone, **context), status_code=status_code)


def _form_page(
    settings: GarageSettings,
    values: dict[str, str],
    errors: dict[str, str],
    status_code: int = 200,
) -> Response:
    return _html(
        "request_form.html",
        status_code,
        values=values,
        errors=errors,
        retention=documents.duration_in_days(settings.personal_data_retention_days),
        service_types=[(t.value, SERVICE_LABELS[t]) for t in ServiceType],
        urgencies=[(u.value, URGENCY_LABELS[u]) for u in Urgency],
    )


@router.get("/garage/demande", response_class=HTMLResponse)
async def request_form(settings: SettingsDep) -> Response:
    return _form_page(settings, {"urgency": Urgency.MEDIUM}, {})


def _too_many(exc: RateLimited) -> Response:
    response = _html(
        "message.html",
        429,
        title="Trop de demandes",
        message="Trop de demandes envoyées depuis cette adresse. "
        f"Réessayez dans {exc.extra['retry_after']} secondes.",
    )
    response.headers["Retry-After"] = str(exc.extra["retry_after"])
    return response


@router.post("/garage/demande", response_class=HTMLResponse)
async def submit_request_form(
    request: Request, session: SessionDep, settings: SettingsDep, state: StateDep
) -> Response:
    try:
        check_size(request, settings)
        check_rate(request, state.submissions)
    except RateLimited as exc:
        return _too_many(exc)
    except PayloadTooLarge:
        return _html(
            "message.html",
            413,
            title="Demande trop volumineuse",
            message="Le formulaire envoyé est trop volumineux.",
        )
    form = await request.form()
    values = {name: str(form.get(name, "")) for name in FORM_FIELDS}
    if form.get(HONEYPOT):
        # Looks like success to the bot; nothing is stored.
        return _html(
            "message.html", title="Demande reçue", message="Merci, votre demande a été reçue."
        )
    try:
        data = RequestSubmission.model_validate(
            {**values, "vin": values["vin"] or None, "consent": form.get("consent") == "yes"}
        )
    except ValidationError as exc:
        errors: dict[str, str] = {}
        for error in exc.errors():
            field = str(error["loc"][0]) if error["loc"] else "form"
            errors.setdefault(field, _french(dict(error)))
        # What was typed comes back, but a NUL has no place in a page (the error says it).
        shown = {name: value.replace(NUL, "") for name, value in values.items()}
        shown["consent"] = "yes" if form.get("consent") == "yes" else ""
        return _form_page(settings, shown, errors, 422)
    submitted = await lifecycle.submit(session, settings, data)
    return RedirectResponse(f"/garage/suivi/{submitted.tracking_token}?nouvelle=1", status_code=303)


async def _tracking(session: AsyncSession, token: str) -> service.TrackingView:
    try:
        return await service.tracking(session, token)
    except NotFound as exc:
        raise PageNotFound from exc


async def _link(session: AsyncSession, settings: GarageSettings, token: str) -> quotes.LinkView:
    try:
        return await quotes.open_link(session, settings, token)
    except NotFound as exc:
        raise PageNotFound from exc


PAGES_PREFIX = "/garage/"
# What a person reads when a public page fails: French and HTML, never problem+json.
_PAGE_ERRORS: dict[int, tuple[str, str]] = {
    404: ("Page introuvable", "Cette adresse ne correspond à aucune page du garage."),
    405: ("Action impossible", "Cette page ne s'utilise pas ainsi. Revenez au formulaire."),
    409: (
        "Pas encore disponible",
        "Ce document ou cette action n'est pas disponible à ce stade de votre demande.",
    ),
    410: ("Lien expiré", "Ce lien n'est plus valable. Contactez le garage."),
    422: ("Demande invalide", "Les informations envoyées sont incomplètes ou invalides."),
}


async def page_errors(request: Request, exc: Exception) -> Response:
    """Errors on the public pages as a French page; elsewhere (the API) problem+json."""
    if not request.url.path.startswith(PAGES_PREFIX):
        return await problem_response(request, exc)
    if isinstance(exc, ProblemError):
        status = exc.status
    elif isinstance(exc, StarletteHTTPException):
        status = exc.status_code
    else:
        status = 422
    title, message = _PAGE_ERRORS.get(
        status, ("Une erreur est survenue", "Réessayez plus tard ou contactez le garage.")
    )
    return _html("message.html", status, title=title, message=message)


def page_not_found(_request: Request, _exc: Exception) -> Response:
    return _html(
        "message.html",
        404,
        title="Lien inconnu",
        message="Ce lien ne correspond à aucune demande. Vérifiez qu'il est complet.",
    )


@router.get("/garage/suivi/{token}", response_class=HTMLResponse)
async def tracking_page(
    token: str, request: Request, session: SessionDep, settings: SettingsDep
) -> Response:
    view = await _tracking(session, token)
    return _html(
        "tracking.html",
        zone=settings.zone,
        view=view,
        labels=STATUS_LABELS,
        service_label=SERVICE_LABELS[view.request.service_type],
        tracking_url=requests.tracking_url(settings, view.request),
        just_submitted=request.query_params.get("nouvelle") == "1",
        note_available=view.request.status in quotes.NOTE_STATES,
        invoice_available=await invoices.exists_for(session, view.request),
    )


@router.get("/garage/suivi/{token}/note", response_class=HTMLResponse)
async def repair_note_page(token: str, session: SessionDep, settings: SettingsDep) -> Response:
    view = await _tracking(session, token)
    return HTMLResponse(await quotes.repair_note_html(session, settings, view.request))


def _quote_page(
    view: quotes.LinkView, settings: GarageSettings, status_code: int = 200, **extra: Any
) -> Response:
    document = quotes.render_document(settings, view.quote, view.request, for_pdf=False)
    return _html(
        "quote_page.html",
        status_code,
        zone=settings.zone,
        view=view,
        document=document,
        tracking_url=requests.tracking_url(settings, view.request),
        **{"error": None, "name": "", **extra},
    )


@router.get("/garage/devis/{token}", response_class=HTMLResponse)
async def quote_page(token: str, session: SessionDep, settings: SettingsDep) -> Response:
    view = await _link(session, settings, token)
    return _quote_page(view, settings, 200 if view.open else 410)


@router.get("/garage/devis/{token}/pdf")
async def quote_pdf(token: str, session: SessionDep, settings: SettingsDep) -> Response:
    view = await _link(session, settings, token)
    return Response(
        view.quote.document_pdf,
        media_type="application/pdf",
        headers={"Content-Disposition": f'inline; filename="{view.quote.number}.pdf"'},
    )


@router.post("/garage/devis/{token}", response_class=HTMLResponse)
async def decide_quote(
    token: str, request: Request, session: SessionDep, settings: SettingsDep, state: StateDep
) -> Response:
    try:
        check_rate(request, state.decisions)
    except RateLimited as exc:
        return _too_many(exc)
    form = await request.form()
    name = str(form.get("name", "")).strip()[:200]
    decision = form.get("decision")
    error = None
    if len(name) < 2:
        error = "Indiquez vos nom et prénom."
    elif NUL in name:
        error = _MESSAGES["nul_character"]
    elif decision not in {"accept", "refuse"} or (
        decision == "accept" and form.get("agreement") != "yes"
    ):
        error = "Cochez « Bon pour accord » pour accepter le devis."
    if error is not None:
        view = await _link(session, settings, token)
        if not view.open:
            return _quote_page(view, settings, 410)
        return _quote_page(view, settings, 422, error=error, name=name.replace(NUL, ""))
    try:
        view = await quotes.decide(
            session, settings, token, accept=decision == "accept", name=name, ip=client_ip(request)
        )
    except NotFound as exc:
        raise PageNotFound from exc
    except LinkGone:
        view = await _link(session, settings, token)
        return _quote_page(view, settings, 410)
    return _html(
        "decision_done.html",
        zone=settings.zone,
        view=view,
        accepted=view.quote.status == "accepted",
        tracking_url=requests.tracking_url(settings, view.request),
    )


@router.get("/garage/suivi/{token}/facture.pdf")
async def invoice_pdf(token: str, session: SessionDep) -> Response:
    """The client's invoice, the PDF as issued; a French page until the work is done."""
    view = await _tracking(session, token)
    invoice = await invoices.for_tracking(session, view.request)
    if invoice is None:
        return _html(
            "message.html",
            404,
            title="Facture pas encore émise",
            message="La facture sera disponible ici dès la fin des travaux.",
        )
    return Response(
        invoice.document_pdf,
        media_type="application/pdf",
        headers={"Content-Disposition": f'inline; filename="{invoice.number}.pdf"'},
    )
