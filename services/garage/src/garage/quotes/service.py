"""Quotes: drafts a teacher adjusts, issue (number, PDF, hash, signed link), versions,
the client's decision and expiry."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any
from uuid import UUID

from sqlalchemy import Row
from sqlalchemy.ext.asyncio import AsyncSession

from garage import documents, tokens
from garage.errors import LinkGone, QuoteNotEditable, TransitionNotAllowed
from garage.events import QuoteAcceptedV1, QuoteExpiredV1, QuoteIssuedV1, QuoteRefusedV1, outbox
from garage.numbering.repository import next_reference
from garage.quotes import repository
from garage.quotes.models import QuoteStatus
from garage.quotes.pricing import priced_line, totals
from garage.quotes.schemas import QuoteLineOut, QuoteOut, QuoteUpdate
from garage.requests import repository as requests_repository
from garage.requests import service as requests
from garage.requests.models import RequestStatus as S
from garage.requests.schemas import SERVICE_LABELS
from garage.settings import GarageSettings
from guichet_common.events import new_event_id, utcnow
from guichet_common.http import NotFound, check_if_match, etag_for

LINK_PURPOSE = "quote-decision"
# Where the request may be when a quote of each kind is issued.
ISSUABLE_FROM = {
    False: frozenset({S.SUBMITTED, S.TRIAGED, S.QUOTED, S.REFUSED, S.EXPIRED}),
    True: frozenset({S.ACCEPTED, S.SCHEDULED, S.IN_PROGRESS, S.QUOTED}),
}


async def _check_issuable(session: AsyncSession, request: Row[Any], supplement: bool) -> None:
    kind = "supplement" if supplement else "quote"
    allowed = request.status in ISSUABLE_FROM[supplement]
    if allowed and supplement:
        allowed, _ = await repository.gate_state(
            session, request.id
        )  # avenant to an accepted quote
    if not allowed:
        raise TransitionNotAllowed(
            f"no {kind} can be issued while the request is {request.status}",
            allowed_actions=requests.allowed_actions(request.status),
        )


def to_out(row: Row[Any], request_number: str) -> QuoteOut:
    return QuoteOut(
        id=row.id,
        request_number=request_number,
        version=row.version,
        is_supplement=row.is_supplement,
        status=row.status,
        number=row.number,
        lines=[QuoteLineOut.model_validate(line) for line in row.lines],
        hourly_rate=row.hourly_rate,
        vat_rate=row.vat_rate,
        total_ht=row.total_ht,
        total_vat=row.total_vat,
        total_ttc=row.total_ttc,
        start_date=row.start_date,
        duration_days=row.duration_days,
        issued_at=row.issued_at,
        valid_until=row.valid_until,
        document_sha256=row.document_sha256,
        decided_at=row.decided_at,
        decision_name=row.decision_name,
    )


def etag(row: Row[Any]) -> str:
    return etag_for(row.etag_version)


async def get_quote(
    session: AsyncSession, quote_id: UUID, *, for_update: bool = False
) -> tuple[Row[Any], Row[Any]]:
    """(quote, its request)."""
    row = await repository.get(session, quote_id, for_update=for_update)
    if row is None:
        raise NotFound(f"no quote {quote_id}")
    request = await requests_repository.get_by_id(session, row.request_id, for_update=for_update)
    assert request is not None  # foreign key
    return row, request


async def quotes_of(session: AsyncSession, number: str) -> tuple[Row[Any], list[Row[Any]]]:
    request = await requests.get_request(session, number)
    return request, list(await repository.for_request(session, request.id))


async def update_draft(
    session: AsyncSession,
    quote_id: UUID,
    data: QuoteUpdate,
    *,
    if_match: str | None,
) -> tuple[Row[Any], Row[Any]]:
    row, request = await get_quote(session, quote_id, for_update=True)
    check_if_match(if_match, row.etag_version)
    if row.status != QuoteStatus.DRAFT:
        raise QuoteNotEditable(f"quote {row.number} is {row.status}; revise it for a new version")
    lines = [
        priced_line(
            kind=line.kind,
            label=line.label,
            quantity=line.quantity,
            unit_price=line.unit_price,
            parts_origin=line.parts_origin,
            hourly_rate=row.hourly_rate,
        )
        for line in data.lines
    ]
    total = totals(lines, row.vat_rate)
    updated = await repository.update_quote(
        session,
        row.id,
        {
            "lines": lines,
            "total_ht": total.ht,
            "total_vat": total.vat,
            "total_ttc": total.ttc,
            "start_date": data.start_date,
            "duration_days": data.duration_days,
        },
    )
    return updated, request


async def new_version(
    session: AsyncSession, settings: GarageSettings, number: str, *, supplement: bool
) -> tuple[Row[Any], Row[Any]]:
    """A new draft: it copies the latest quote of its kind; a first supplement starts empty."""
    request = await requests.get_request(session, number, for_update=True)
    existing = await repository.for_request(session, request.id)
    if any(q.status == QuoteStatus.DRAFT for q in existing):
        raise TransitionNotAllowed("a draft already exists: edit it", allowed_actions=["edit"])
    await _check_issuable(session, request, supplement)
    same_kind = [q for q in existing if q.is_supplement == supplement]
    base = same_kind[-1] if same_kind else None
    lines = list(base.lines) if base is not None else []
    total = totals(lines, settings.vat_rate)
    row = await repository.insert_quote(
        session,
        {
            "id": new_event_id(),
            "request_id": request.id,
            "version": await repository.next_version(session, request.id),
            "is_supplement": supplement,
            "status": QuoteStatus.DRAFT,
            "lines": lines,
            "hourly_rate": settings.hourly_rate,
            "vat_rate": settings.vat_rate,
            "total_ht": total.ht,
            "total_vat": total.vat,
            "total_ttc": total.ttc,
            "start_date": base.start_date if base is not None else None,
            "duration_days": base.duration_days if base is not None else None,
        },
    )
    return row, request


def render_document(
    settings: GarageSettings, quote: dict[str, Any], request: Row[Any], *, for_pdf: bool
) -> str:
    return documents.render(
        "quote_document.html",
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
    if_match: str | None = None,
) -> tuple[Row[Any], Row[Any], str]:
    """Number, freeze (PDF + SHA-256), link, and move the request to `quoted`."""
    row, request = await get_quote(session, quote_id, for_update=True)
    if if_match is not None:
        check_if_match(if_match, row.etag_version)
    if row.status != QuoteStatus.DRAFT:
        raise QuoteNotEditable(f"quote {row.number} is already {row.status}")
    if not row.lines:
        raise QuoteNotEditable("a quote needs at least one line")
    await _check_issuable(session, request, row.is_supplement)
    now = utcnow()
    frozen = dict(row._mapping)
    frozen.update(
        number=await next_reference(session, "DEV", now.year),
        issued_at=now,
        issued_by=actor,
        valid_until=now.date() + timedelta(days=settings.quote_validity_days),
    )
    pdf = await documents.pdf(render_document(settings, frozen, request, for_pdf=True))
    digest = hashlib.sha256(pdf).hexdigest()
    updated = await repository.update_quote(
        session,
        row.id,
        {
            "status": QuoteStatus.ISSUED,
            "number": frozen["number"],
            "issued_at": now,
            "issued_by": actor,
            "valid_until": frozen["valid_until"],
            "document_pdf": pdf,
            "document_sha256": digest,
        },
    )
    await repository.supersede_issued(session, request.id, row.is_supplement, keep=row.id)
    token_id, token = tokens.new_token(settings.jwt_secret.get_secret_value(), LINK_PURPOSE)
    await repository.insert_link(
        session, token_id, row.id, now + timedelta(days=settings.decision_link_days)
    )
    if request.status != S.QUOTED:
        request = await requests.move(
            session,
            settings,
            request,
            action="issue_quote",
            to_status=S.QUOTED,
            actor=actor,
            note=f"devis {frozen['number']} (version {row.version})",
            values={} if request.quoted_at else {"quoted_at": now},
        )
    decision_url = f"{settings.public_base_url}/garage/devis/{token}"
    await outbox.publish(
        session,
        QuoteIssuedV1(
            **requests.event_fields(settings, request, f"Devis {frozen['number']}"),
            **_quote_fields(updated),
            total_excl_tax=updated.total_ht,
            total_vat=updated.total_vat,
            total_incl_tax=updated.total_ttc,
            issued_at=now,
            valid_until=updated.valid_until,
            decision_url=decision_url,
            pdf_url=f"{decision_url}/pdf",
            document_sha256=digest,
        ),
        subject=request.number,
    )
    return updated, request, decision_url


def _quote_fields(row: Row[Any]) -> dict[str, Any]:
    return {
        "quote_id": row.id,
        "quote_number": row.number,
        "version": row.version,
        "is_supplement": row.is_supplement,
    }


@dataclass(frozen=True)
class LinkView:
    quote: Row[Any]
    request: Row[Any]
    link: Row[Any]
    open: bool  # the client may still decide through this link


async def open_link(
    session: AsyncSession, settings: GarageSettings, token: str, *, for_update: bool = False
) -> LinkView:
    token_id = tokens.verify(token, settings.jwt_secret.get_secret_value(), LINK_PURPOSE)
    link = await repository.get_link(session, token_id, for_update=for_update) if token_id else None
    if link is None:
        raise NotFound("unknown quote link")
    row, request = await get_quote(session, link.quote_id, for_update=for_update)
    now = utcnow()
    is_open = (
        link.used_at is None
        and link.expires_at > now
        and row.status == QuoteStatus.ISSUED
        and request.status == S.QUOTED
        and row.valid_until >= now.date()
    )
    return LinkView(row, request, link, is_open)


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
    row = await repository.update_quote(
        session,
        view.quote.id,
        {
            "status": QuoteStatus.ACCEPTED if accept else QuoteStatus.REFUSED,
            "decided_at": now,
            "decision_name": name,
            "decision_ip": ip,
        },
    )
    await repository.use_link(session, view.link.token_id, now)
    request = view.request
    # A refused supplement leaves the accepted scope of work in place.
    target = S.ACCEPTED if accept or row.is_supplement else S.REFUSED
    request = await requests.move(
        session,
        settings,
        request,
        action="accept_quote" if accept else "refuse_quote",
        to_status=target,
        actor=f"client: {name}",
        note=f"devis {row.number} {'accepté' if accept else 'refusé'} depuis {ip}",
    )
    fields = {
        **requests.event_fields(settings, request, f"Devis {row.number}"),
        **_quote_fields(row),
        "signer_name": name,
        "decided_at": now,
        "document_sha256": row.document_sha256,
    }
    if accept:
        await outbox.publish(session, QuoteAcceptedV1(**fields), subject=request.number)
    else:
        await outbox.publish(session, QuoteRefusedV1(**fields), subject=request.number)
    return LinkView(row, request, view.link, open=False)


async def expire_due(
    session: AsyncSession, settings: GarageSettings, today: date | None = None
) -> int:
    """The expiry timer: issued quotes past their validity expire, and so does the request."""
    today = today or utcnow().date()
    rows = await repository.claim_expired(session, today)
    for row in rows:
        expired = await repository.update_quote(session, row.id, {"status": QuoteStatus.EXPIRED})
        request = await requests_repository.get_by_id(session, row.request_id, for_update=True)
        assert request is not None
        if request.status == S.QUOTED:
            request = await requests.move(
                session,
                settings,
                request,
                action="expire_quote",
                to_status=S.ACCEPTED if row.is_supplement else S.EXPIRED,
                actor="system",
                note=f"devis {row.number} expiré le {row.valid_until}",
            )
        await outbox.publish(
            session,
            QuoteExpiredV1(
                **requests.event_fields(settings, request, f"Devis {row.number} expiré"),
                **_quote_fields(expired),
                valid_until=row.valid_until,
            ),
            subject=request.number,
        )
    return len(rows)


NOTE_STATES = frozenset({S.DONE, S.HANDED_BACK, S.ARCHIVED})


async def repair_note_html(
    session: AsyncSession, settings: GarageSettings, request: Row[Any]
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
    total = totals(lines, settings.vat_rate)
    return documents.render(
        "repair_note.html",
        request=request,
        quotes=accepted,
        lines=lines,
        totals=total,
        settings=settings,
        service_label=SERVICE_LABELS[request.service_type],
        issued_on=utcnow(),
    )


async def repair_note_pdf(session: AsyncSession, settings: GarageSettings, number: str) -> bytes:
    request = await requests.get_request(session, number)
    return await documents.pdf(await repair_note_html(session, settings, request))
