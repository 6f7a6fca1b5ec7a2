"""Invoices: issued when the work is finished (`lifecycle.service.transition`, `finish`),
drawn from the accepted quote and its accepted supplements, numbered `FAC-YYYY-NNNN`,
frozen with their PDF and its SHA-256. Kept ten years whatever becomes of the client's
personal data (see `garage.invoices.models`)."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from sqlalchemy.ext.asyncio import AsyncSession

from garage import documents
from garage.errors import QuoteNotAccepted, SellerIdentityMissing
from garage.invoices import repository
from garage.invoices.models import Invoice, InvoiceLine, VatAmount
from garage.numbering.repository import next_reference
from garage.quotes.models import Quote
from garage.quotes.pricing import Totals, totals
from garage.requests import service as requests
from garage.requests.models import GarageRequest
from garage.settings import GarageSettings
from guichet_common.events import new_event_id
from guichet_common.http import InvalidInput, NotFound

VAT_NUMBER_SETTING = "GARAGE_SELLER_VAT_NUMBER"


@dataclass(frozen=True)
class _Seller:
    name: str
    address: str
    siret: str
    vat_number: str | None  # printed when VAT is charged
    vat_exemption_mention: str | None  # printed when a line bears none


def _set(value: str | None) -> str | None:
    return value.strip() if value and value.strip() else None


def _seller(settings: GarageSettings, *, charges_vat: bool, exempt: bool) -> _Seller:
    """The seller as the invoice prints it. Its VAT mention follows the rates the client
    accepted (the quotes'), so mention and totals agree: a VAT number where VAT is
    charged, the exemption mention where it is not. 409 naming what is not configured."""
    missing = settings.missing_seller_settings()
    name, address, siret = (
        _set(settings.seller_name),
        _set(settings.seller_address),
        _set(settings.seller_siret),
    )
    vat_number = _set(settings.seller_vat_number)
    if charges_vat and vat_number is None and VAT_NUMBER_SETTING not in missing:
        missing.append(VAT_NUMBER_SETTING)  # a quote charged VAT: its invoice needs the number
    if missing or name is None or address is None or siret is None:  # the same test, typed
        raise SellerIdentityMissing(
            f"set {', '.join(missing)}: the invoice issued when the work is finished needs them",
            missing_settings=missing,
        )
    return _Seller(
        name=name,
        address=address,
        siret=siret,
        vat_number=vat_number if charges_vat else None,
        vat_exemption_mention=settings.vat_exemption_mention if exempt else None,
    )


def _invoice_lines(accepted: list[Quote]) -> list[InvoiceLine]:
    lines: list[InvoiceLine] = []
    for quote in accepted:
        assert quote.number is not None  # accepted, so issued, so numbered
        lines += [
            {**line, "vat_rate": str(quote.vat_rate), "quote_number": quote.number}
            for line in quote.lines
        ]
    return lines


def _vat_breakdown(lines: list[InvoiceLine]) -> tuple[list[VatAmount], Totals]:
    """Base and tax per rate (`pricing.totals` on each rate's lines), and the whole."""
    by_rate: dict[Decimal, list[InvoiceLine]] = {}
    for line in lines:
        by_rate.setdefault(Decimal(line["vat_rate"]), []).append(line)
    per_rate = {rate: totals(group, rate) for rate, group in sorted(by_rate.items())}
    breakdown: list[VatAmount] = [
        {"rate": str(rate), "total_ht": str(total.ht), "total_vat": str(total.vat)}
        for rate, total in per_rate.items()
    ]
    ht = sum((total.ht for total in per_rate.values()), Decimal(0))
    vat = sum((total.vat for total in per_rate.values()), Decimal(0))
    return breakdown, Totals(ht=ht, vat=vat, ttc=ht + vat)


def render_html(settings: GarageSettings, invoice: Invoice, quotes: list[Quote]) -> str:
    """The document of an invoice, from what the invoice stores (its seller, client and
    vehicle as they were at issue) and the quotes it comes from."""
    return documents.render(
        "invoice.html",
        settings.zone,
        invoice=invoice,
        quotes=quotes,
        due_on=invoice.issued_at.astimezone(settings.zone).date(),
        payment_terms=settings.payment_terms,
        invoice_mentions=settings.invoice_mentions,
    )


async def issue(
    session: AsyncSession,
    settings: GarageSettings,
    request: GarageRequest,
    *,
    actor: str,
    now: datetime,
) -> Invoice:
    """The request's invoice, in the caller's transaction (the `finish` one): a finish that
    fails issues none and burns no number. Everything that needs no number comes first;
    the number is taken last, just before the PDF that prints it, as the year's counter
    row stays locked until commit. The year is the garage's (`settings.zone`): an invoice
    of New Year's Eve 23:30 UTC is of the next year in Paris.

    A request has one invoice: if it has one already, that one is returned (an issued
    invoice is never redrawn; a correction would be a credit note)."""
    existing = await repository.for_request(session, request.id)
    if existing is not None:
        return existing
    accepted = await repository.accepted_quotes(session, request.id)
    if not accepted:
        raise QuoteNotAccepted(
            "the invoice is drawn from the accepted quote: this request has none",
            status_now=request.status,
            allowed_actions=requests.allowed_actions(request.status),
        )
    lines = _invoice_lines(accepted)
    breakdown, total = _vat_breakdown(lines)
    rates = {Decimal(vat["rate"]) for vat in breakdown}
    seller = _seller(
        settings, charges_vat=any(rate > 0 for rate in rates), exempt=Decimal(0) in rates
    )
    if request.final_mileage_km is None:  # `finish` reads it before drawing the invoice
        raise InvalidInput("the invoice prints the mileage read at the end", field="mileage_km")
    local = now.astimezone(settings.zone)
    invoice = Invoice(
        id=new_event_id(),
        request_id=request.id,
        issued_at=now,
        issued_by=actor,
        service_date=local.date(),
        quote_numbers=[quote.number for quote in accepted if quote.number is not None],
        lines=lines,
        vat_rate=next(iter(rates)) if len(rates) == 1 else None,
        vat_breakdown=breakdown,
        total_ht=total.ht,
        total_vat=total.vat,
        total_ttc=total.ttc,
        seller_name=seller.name,
        seller_address=seller.address,
        seller_siret=seller.siret,
        seller_vat_number=seller.vat_number,
        vat_exemption_mention=seller.vat_exemption_mention,
        client_name=f"{request.first_name} {request.last_name}",
        client_email=request.email,
        plate=request.plate,
        make=request.make,
        model=request.model,
        vin=request.vin,
        mileage_km=request.final_mileage_km,
    )
    invoice.number = await next_reference(session, "FAC", local.year)
    pdf = await documents.pdf(render_html(settings, invoice, accepted))
    invoice.document_pdf = pdf
    invoice.document_sha256 = hashlib.sha256(pdf).hexdigest()
    await repository.save(session, invoice)
    return invoice


def public_pdf_url(settings: GarageSettings, request: GarageRequest) -> str:
    """The client's link to the PDF, through the tracking link (it dies with it)."""
    return f"{requests.tracking_url(settings, request)}/facture.pdf"


async def of_request(session: AsyncSession, number: str) -> tuple[Invoice, GarageRequest]:
    """A request's invoice; 404 before the work is finished."""
    request = await requests.get_request(session, number)
    invoice = await repository.for_request(session, request.id)
    if invoice is None:
        raise NotFound(f"request {number} has no invoice: it is issued when the work is done")
    return invoice, request


async def for_tracking(session: AsyncSession, request: GarageRequest) -> Invoice | None:
    """The invoice the client reaches through the tracking link, if issued yet."""
    return await repository.for_request(session, request.id)


async def exists_for(session: AsyncSession, request: GarageRequest) -> bool:
    return await repository.exists_for(session, request.id)
