"""Quotes: the catalogue draft of a new request, drafts a teacher adjusts, issue (number,
PDF, hash, signed link), versions, the client's decision, expiry, the repair note."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from uuid import UUID

from sqlalchemy.ext.asyncio import AsyncSession

from garage import documents, tokens
from garage.errors import LinkGone, QuoteNotEditable, SellerIdentityMissing, TransitionNotAllowed
from garage.events import QuoteAcceptedV1, QuoteExpiredV1, QuoteIssuedV1, QuoteRefusedV1, outbox
from garage.numbering.repository import next_reference
from garage.quotes import repository
from garage.quotes.models import Quote, QuoteLine, QuoteLink, QuoteStatus
from garage.quotes.pricing import lines_from_catalogue, priced_line, totals
from garage.quotes.schemas import QuoteUpdate
from garage.requests import service as requests
from garage.requests.models import GarageRequest
from garage.requests.models import RequestStatus as S
from garage.requests.schemas import SERVICE_LABELS
from garage.settings import GarageSettings
from guichet_common.events import new_event_id, utcnow
from guichet_common.http import NotFound, check_if_match

LINK_PURPOSE = "quote-decision"
# Where the request may be when a quote of each kind is issued.
ISSUABLE_FROM = {
    False: frozenset({S.SUBMITTED, S.TRIAGED, S.QUOTED, S.REFUSED, S.EXPIRED}),
    True: frozenset({S.ACCEPTED, S.SCHEDULED, S.IN_PROGRESS, S.QUOTED}),
}
# Once the work is done, the repair note exists.
NOTE_STATES = frozenset({S.DONE, S.HANDED_BACK, S.ARCHIVED})


def _new_quote(
    settings: GarageSettings,
    request: GarageRequest,
    *,
    version: int,
    supplement: bool,
    lines: list[QuoteLine],
) -> Quote:
    total = totals(lines, settings.effective_vat_rate)
    return Quote(
        id=new_event_id(),
        request_id=request.id,
        version=version,
        is_supplement=supplement,
        status=QuoteStatus.DRAFT,
        lines=lines,
        hourly_rate=settings.hourly_rate,
        vat_rate=settings.effective_vat_rate,
        total_ht=total.ht,
        total_vat=total.vat,
        total_ttc=total.ttc,
    )


async def draft_from_catalogue(
    session: AsyncSession, settings: GarageSettings, request: GarageRequest
) -> Quote:
    """Version 1 of a new request's quote, from the catalogue line-up of its service type."""
    lines = lines_from_catalogue(
        settings.catalogue.get(request.service_type, ()), settings.hourly_rate
    )
    draft = _new_quote(settings, request, version=1, supplement=False, lines=lines)
    await repository.save(session, draft)
    return draft


async def _check_issuable(session: AsyncSession, request: GarageRequest, supplement: bool) -> None:
    kind = "supplement" if supplement else "quote"
    allowed = request.status in ISSUABLE_FROM[supplement]
    if allowed and supplement:
        allowed, _ = await repository.gate_state(session, request.id)  # an avenant needs one
    if not allowed:
        raise TransitionNotAllowed(
            f"no {kind} can be issued while the request is {request.status}",
            allowed_actions=requests.allowed_actions(request.status),
        )


async def get_quote(
    session: AsyncSession, quote_id: UUID, *, for_update: bool = False
) -> tuple[Quote, GarageRequest]:
    """The quote and its request (both locked with `for_update`)."""
    quote = await repository.get(session, quote_id, for_update=for_update)
    if quote is None:
        raise NotFound(f"no quote {quote_id}")
    return quote, await requests.get_by_id(session, quote.request_id, for_update=for_update)


async def quotes_of(session: AsyncSession, number: str) -> tuple[GarageRequest, list[Quote]]:
    request = await requests.get_request(session, number)
    return request, await repository.for_request(session, request.id)


async def update_draft(
    session: AsyncSession, quote_id: UUID, data: QuoteUpdate, *, if_match: str | None
) -> tuple[Quote, GarageRequest]:
    quote, request = await get_quote(session, quote_id, for_update=True)
    check_if_match(if_match, quote.etag_version)
    if quote.status != QuoteStatus.DRAFT:
        raise QuoteNotEditable(
            f"quote {quote.number} is {quote.status}; revise it for a new version"
        )
    quote.lines = [
        priced_line(
            kind=line.kind,
            label=line.label,
            quantity=line.quantity,
            unit_price=line.unit_price,
            parts_origin=line.parts_origin,
            hourly_rate=quote.hourly_rate,
        )
        for line in data.lines
    ]
    total = totals(quote.lines, quote.vat_rate)
    quote.total_ht, quote.total_vat, quote.total_ttc = total.ht, total.vat, total.ttc
    quote.start_date = data.start_date
    quote.duration_days = data.duration_days
    await repository.save(session, quote)
    return quote, request


async def new_version(
    session: AsyncSession, settings: GarageSettings, number: str, *, supplement: bool
) -> tuple[Quote, GarageRequest]:
    """A new draft: it copies the latest quote of its kind; a first supplement starts empty."""
    request = await requests.get_request(session, number, for_update=True)
    existing = await repository.for_request(session, request.id)
    if any(q.status == QuoteStatus.DRAFT for q in existing):
        raise TransitionNotAllowed("a draft already exists: edit it", allowed_actions=["edit"])
    await _check_issuable(session, request, supplement)
    same_kind = [q for q in existing if q.is_supplement == supplement]
    base = same_kind[-1] if same_kind else None
    draft = _new_quote(
        settings,
        request,
        version=await repository.next_version(session, request.id),
        supplement=supplement,
        lines=list(base.lines) if base is not None else [],
    )
    if base is not None:
        draft.start_date, draft.duration_days = base.start_date, base.duration_days
    await repository.save(session, draft)
    return draft, request


def check_seller_identity(settings: GarageSettings) -> None:
    """A devis or a facture without the seller's identity is not valid: 409 naming the
    settings to set."""
    missing = settings.missing_seller_settings()
    if missing:
        raise SellerIdentityMissing(
            f"set {', '.join(missing)} before issuing a quote or an invoice",
            missing_settings=missing,
        )


def render_document(
    settings: GarageSettings, quote: Quote, request: GarageRequest, *, for_pdf: bool
) -> str:
    return documents.render(
        "quote_document.html",
        settings.zone,
        quote=quote,
        request=request,
        settings=settings,
        service_label=SERVICE_LABELS[request.service_type],
        for_pdf=for_pdf,
    )


async def issue(
    session: AsyncSession,
    settings: GarageSettings,
    quote_id: UUID,
    *,
    actor: str,
    if_match: str | None,
    now: datetime | None = None,
) -> tuple[Quote, GarageRequest, str]:
    """Number, freeze (PDF + SHA-256), link, and move the request to `quoted`. `now`
    (default: the clock) decides the number's year and the validity."""
    quote, request = await get_quote(session, quote_id, for_update=True)
    check_if_match(if_match, quote.etag_version)
    if quote.status != QuoteStatus.DRAFT:
        raise QuoteNotEditable(f"quote {quote.number} is already {quote.status}")
    if not quote.lines:
        raise QuoteNotEditable("a quote needs at least one line")
    await _check_issuable(session, request, quote.is_supplement)
    check_seller_identity(settings)
    now = now or utcnow()
    # The VAT status at issue decides: the mention printed and the totals agree.
    quote.vat_rate = settings.effective_vat_rate
    total = totals(quote.lines, quote.vat_rate)
    quote.total_ht, quote.total_vat, quote.total_ttc = total.ht, total.vat, total.ttc
    quote.status = QuoteStatus.ISSUED
    quote.number = await next_reference(session, "DEV", now.astimezone(settings.zone).year)
    quote.issued_at = now
    quote.issued_by = actor
    quote.valid_until = now.astimezone(settings.zone).date() + timedelta(
        days=settings.quote_validity_days
    )
    pdf = await documents.pdf(render_document(settings, quote, request, for_pdf=True))
    quote.document_pdf = pdf
    quote.document_sha256 = hashlib.sha256(pdf).hexdigest()
    await repository.save(session, quote)
    await repository.supersede_issued(session, request.id, quote.is_supplement, keep=quote.id)
    token_id, token = tokens.new_token(settings.jwt_secret.get_secret_value(), LINK_PURPOSE)
    await repository.save(
        session,
        QuoteLink(
            token_id=token_id,
            quote_id=quote.id,
            expires_at=now + timedelta(days=settings.decision_link_days),
        ),
    )
    if request.status != S.QUOTED:
        if request.quoted_at is None:
            request.quoted_at = now
        await requests.move(
            session,
            settings,
            request,
            action="issue_quote",
            to_status=S.QUOTED,
            actor=actor,
            note=f"devis {quote.number} (version {quote.version})",
        )
    decision_url = f"{settings.public_base_url}/garage/devis/{token}"
    await outbox.publish(
        session,
        QuoteIssuedV1(
            **requests.event_fields(settings, request, f"Devis {quote.number}"),
            **_quote_fields(quote),
            total_excl_tax=quote.total_ht,
            total_vat=quote.total_vat,
            total_incl_tax=quote.total_ttc,
            issued_at=now,
            valid_until=quote.valid_until,
            decision_url=decision_url,
            pdf_url=f"{decision_url}/pdf",
            document_sha256=quote.document_sha256,
        ),
        subject=request.number,
    )
    return quote, request, decision_url


def _quote_fields(quote: Quote) -> dict[str, object]:
    return {
        "quote_id": quote.id,
        "quote_number": quote.number,
        "version": quote.version,
        "is_supplement": quote.is_supplement,
    }


@dataclass(frozen=True)
class LinkView:
    quote: Quote
    request: GarageRequest
    link: QuoteLink
    open: bool  # the client may still decide through this link


async def open_link(
    session: AsyncSession, settings: GarageSettings, token: str, *, for_update: bool = False
) -> LinkView:
    token_id = tokens.verify(token, settings.jwt_secret.get_secret_value(), LINK_PURPOSE)
    link = await repository.get_link(session, token_id, for_update=for_update) if token_id else None
    if link is None:
        raise NotFound("unknown quote link")
    quote, request = await get_quote(session, link.quote_id, for_update=for_update)
    now = utcnow()
    is_open = (
        link.used_at is None
        and link.expires_at > now
        and quote.status == QuoteStatus.ISSUED
        and request.status == S.QUOTED
        and quote.valid_until is not None
        and quote.valid_until >= now.astimezone(settings.zone).date()
    )
    return LinkView(quote, request, link, is_open)


async def decide(
    session: AsyncSession,
    settings: GarageSettings,
    token: str,
    *,
    accept: bool,
    name: str,
    ip: str,
) -> LinkView:
    """The client's decision: once, before expiry, recorded with name, time, IP and hash."""
    view = await open_link(session, settings, token, for_update=True)
    if not view.open:
        raise LinkGone("this quote link has expired or was already used")
    now = utcnow()
    quote, request, link = view.quote, view.request, view.link
    quote.status = QuoteStatus.ACCEPTED if accept else QuoteStatus.REFUSED
    quote.decided_at = now
    quote.decision_name = name
    quote.decision_ip = ip
    await repository.save(session, quote)
    link.used_at = now
    await repository.save(session, link)
    # A refused supplement leaves the accepted scope of work in place.
    await requests.move(
        session,
        settings,
        request,
        action="accept_quote" if accept else "refuse_quote",
        to_status=S.ACCEPTED if accept or quote.is_supplement else S.REFUSED,
        actor=f"client: {name}",
        note=f"devis {quote.number} {'accepté' if accept else 'refusé'} depuis {ip}",
    )
    fields = {
        **requests.event_fields(settings, request, f"Devis {quote.number}"),
        **_quote_fields(quote),
        "signer_name": name,
        "decided_at": now,
        "document_sha256": quote.document_sha256,
    }
    if accept:
        await outbox.publish(session, QuoteAcceptedV1(**fields), subject=request.number)
    else:
        await outbox.publish(session, QuoteRefusedV1(**fields), subject=request.number)
    return LinkView(quote, request, link, open=False)


async def expire_due(session: AsyncSession, settings: GarageSettings, today: date) -> int:
    """The expiry timer: issued quotes past their validity expire, and so does the request."""
    expired = await repository.claim_expired(session, today)
    for quote in expired:
        quote.status = QuoteStatus.EXPIRED
        await repository.save(session, quote)
        request = await requests.get_by_id(session, quote.request_id, for_update=True)
        if request.status == S.QUOTED:
            await requests.move(
                session,
                settings,
                request,
                action="expire_quote",
                to_status=S.ACCEPTED if quote.is_supplement else S.EXPIRED,
                actor="system",
                note=f"devis {quote.number} expiré le {quote.valid_until}",
            )
        await outbox.publish(
            session,
            QuoteExpiredV1(
                **requests.event_fields(settings, request, f"Devis {quote.number} expiré"),
                **_quote_fields(quote),
                valid_until=quote.valid_until,
            ),
            subject=request.number,
        )
    return len(expired)


async def gate_state(session: AsyncSession, request: GarageRequest) -> tuple[bool, bool]:
    """(an accepted main quote exists, an issued supplement awaits the client)."""
    return await repository.gate_state(session, request.id)


async def repair_note_html(
    session: AsyncSession, settings: GarageSettings, request: GarageRequest
) -> str:
    """The final note (mandatory above 15,24 € TTC): the accepted quote and avenants as done."""
    if request.status not in NOTE_STATES:
        raise TransitionNotAllowed(
            f"the repair note exists once the work is done (request is {request.status})",
            allowed_actions=requests.allowed_actions(request.status),
        )
    accepted = [
        q
        for q in await repository.for_request(session, request.id)
        if q.status == QuoteStatus.ACCEPTED
    ]
    lines = [line for q in accepted for line in q.lines]
    # The rate the client accepted (supplements are issued under the same status).
    vat_rate = accepted[0].vat_rate if accepted else settings.effective_vat_rate
    return documents.render(
        "repair_note.html",
        settings.zone,
        request=request,
        quotes=accepted,
        lines=lines,
        totals=totals(lines, vat_rate),
        vat_rate=vat_rate,
        settings=settings,
        service_label=SERVICE_LABELS[request.service_type],
        issued_on=utcnow(),
    )


async def repair_note_pdf(session: AsyncSession, settings: GarageSettings, number: str) -> bytes:
    request = await requests.get_request(session, number)
    return await documents.pdf(await repair_note_html(session, settings, request))


async def forget_clients(session: AsyncSession, request_ids: list[UUID]) -> None:
    """Retention: what the quotes of these requests said about their client goes."""
    await repository.forget_clients(session, request_ids)
