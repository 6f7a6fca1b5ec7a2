"""Invoices: issued by `finish` from the accepted quote and supplements, numbered gap-free in
the garage's year, frozen (PDF and SHA-256), served to teachers and to the client, kept
through the erasure of client data.

pypdf is not installed: the PDF's text is not extracted. The mentions are checked on the
HTML the PDF is made from, and WeasyPrint being deterministic, that HTML rendered again
from the stored invoice must give the stored PDF byte for byte."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable
from contextlib import AbstractAsyncContextManager
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest

from garage import documents
from garage.invoices import repository, service
from garage.lifecycle import service as lifecycle
from garage.requests import service as requests
from guichet_common.db import make_session_factory, unit_of_work
from guichet_common.events import utcnow
from guichet_common.testing.html import check_strict_html

from ..conftest import BASE_URL, SELLER, Kit

pytestmark = pytest.mark.integration

MakeClient = Callable[..., AbstractAsyncContextManager[httpx.AsyncClient]]
PARIS = ZoneInfo("Europe/Paris")
NUMBER = re.compile(r"FAC-(\d{4})-(\d{4})")
EXEMPTION = "TVA non applicable, art. 256 B du CGI"


def plain(text: str) -> str:
    """Babel's French numbers use (narrow) no-break spaces."""
    return text.replace("\u202f", " ").replace("\xa0", " ")


async def accepted(kit: Kit, **submission: Any) -> str:
    """A request whose first quote (brakes: 79,00 € HT) the client accepted."""
    number: str = (await kit.submit(**submission))["number"]
    issued = await kit.issue_first_quote(number)
    assert (await kit.decide(issued["decision_url"], "accept")).status_code == 200
    return number


async def in_progress(kit: Kit, **submission: Any) -> str:
    number = await accepted(kit, **submission)
    assert (await kit.act(number, "start")).status_code == 200
    return number


async def add_supplement(kit: Kit, number: str, lines: list[dict[str, Any]]) -> dict[str, Any]:
    """An avenant issued and accepted while the work is in progress; the work goes on."""
    created = await kit.client.post(
        f"/api/garage/requests/{number}/quotes", json={"supplement": True}, headers=kit.teacher
    )
    assert created.status_code == 201, created.text
    url = f"/api/garage/quotes/{created.json()['id']}"
    edited = await kit.client.put(
        url, json={"lines": lines}, headers={**kit.teacher, "If-Match": created.headers["ETag"]}
    )
    assert edited.status_code == 200, edited.text
    issued = await kit.issue(created.json()["id"])
    assert (await kit.decide(issued["decision_url"], "accept")).status_code == 200
    assert (await kit.act(number, "start")).status_code == 200
    return issued


async def finish(kit: Kit, number: str, mileage_km: int = 84_620) -> None:
    response = await kit.act(number, "finish", mileage_km=mileage_km)
    assert response.status_code == 200, response.text


async def invoice_of(kit: Kit, number: str) -> dict[str, Any]:
    response = await kit.client.get(f"/api/garage/requests/{number}/invoice", headers=kit.teacher)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


async def tracking_path(kit: Kit, number: str) -> str:
    detail = await kit.client.get(f"/api/garage/requests/{number}", headers=kit.teacher)
    url: str = detail.json()["tracking_url"]
    return url.removeprefix(BASE_URL)


async def stored_document(kit: Kit, number: str) -> str:
    """The HTML of the stored invoice, checked to be the source of its stored PDF."""
    async with make_session_factory(kit.engine)() as session:
        invoice, _request = await service.of_request(session, number)
        quotes = await repository.accepted_quotes(session, invoice.request_id)
        html = service.render_html(kit.settings, invoice, quotes)
        assert await documents.pdf(html) == invoice.document_pdf
    check_strict_html(html)
    return plain(html)


def sequence(number: str) -> tuple[int, int]:
    match = NUMBER.fullmatch(number)
    assert match is not None, number
    return int(match[1]), int(match[2])


async def test_finish_issues_the_invoice_of_the_accepted_quote_and_supplement(kit: Kit) -> None:
    number = await in_progress(kit)
    [main] = await kit.quotes(number)
    supplement = await add_supplement(
        kit,
        number,
        [
            {
                "kind": "part",
                "label": "Disque de frein avant",
                "quantity": "2",
                "unit_price": "15.00",
                "parts_origin": "used",
            }
        ],
    )
    await finish(kit, number, mileage_km=84_620)

    invoice = await invoice_of(kit, number)
    year, _ = sequence(invoice["number"])
    assert year == datetime.fromisoformat(invoice["issued_at"]).astimezone(PARIS).year
    assert invoice["request_number"] == number and invoice["issued_by"] == "prof1"
    assert invoice["quote_numbers"] == [main["number"], supplement["number"]]
    assert [(line["label"], line["quote_number"]) for line in invoice["lines"]] == [
        ("Remplacement plaquettes avant", main["number"]),
        ("Jeu de plaquettes avant", main["number"]),
        ("Liquide de frein (1 L)", main["number"]),
        ("Disque de frein avant", supplement["number"]),
    ]
    # 79,00 € of the quote + 30,00 € of the avenant, VAT at the quotes' 20 %.
    assert (invoice["total_ht"], invoice["total_vat"], invoice["total_ttc"]) == (
        "109.00",
        "21.80",
        "130.80",
    )
    assert Decimal(invoice["vat_rate"]) == Decimal("0.20")
    assert [
        (Decimal(v["rate"]), v["total_ht"], v["total_vat"]) for v in invoice["vat_breakdown"]
    ] == [(Decimal("0.20"), "109.00", "21.80")]
    assert invoice["seller"] == {
        "name": SELLER["seller_name"],
        "address": SELLER["seller_address"],
        "siret": SELLER["seller_siret"],
        "vat_number": SELLER["seller_vat_number"],
        "vat_exemption_mention": None,
    }
    assert invoice["client"] == {"name": "Claire Martin", "email": "claire.martin@example.org"}
    assert invoice["vehicle"]["mileage_km"] == 84_620

    # The PDF: the same bytes on every call, to teachers and to the client, as hashed.
    pdf_url = f"/api/garage/requests/{number}/invoice.pdf"
    first = await kit.client.get(pdf_url, headers=kit.teacher)
    second = await kit.client.get(pdf_url, headers=kit.teacher)
    public = await kit.client.get(await tracking_path(kit, number) + "/facture.pdf")
    for response in (first, second, public):
        assert response.status_code == 200
        assert response.headers["content-type"] == "application/pdf"
    assert first.content.startswith(b"%PDF") and len(first.content) > 1000
    assert first.content == second.content == public.content
    assert hashlib.sha256(first.content).hexdigest() == invoice["document_sha256"]

    html = await stored_document(kit, number)
    issued_at = datetime.fromisoformat(invoice["issued_at"]).astimezone(PARIS)
    for mention in (
        f'Facture n° <span id="invoice-number">{invoice["number"]}</span>',
        f"Date d'émission : {issued_at.day} ",
        f"Date de la prestation : {issued_at.day} ",
        SELLER["seller_name"],
        SELLER["seller_address"],
        f"SIRET : {SELLER['seller_siret']}",
        f"N° de TVA intracommunautaire : {SELLER['seller_vat_number']}",
        "Client : Claire Martin<br>claire.martin@example.org",
        "immatriculation AB-123-CD, VIN VF1RJA00012345678",
        "kilométrage 84 620 km</p>",
        "Désignation",
        "Quantité",
        "Prix unitaire HT",
        "Disque de frein avant",
        "pièce d&#39;occasion",
        "pièce neuve",
        "1,5 h",
        "15,00 €",
        "TVA 20 % sur 109,00 € HT",
        "21,80 €",
        "130,80 €",
        "Conditions de paiement : Paiement à la remise du véhicule",
        "Date d'échéance : ",
        "indemnité forfaitaire pour frais de recouvrement de 40 €",
        "sans escompte",
        f"Devis {main['number']} accepté le",
        f"{supplement['number']} (avenant)",
    ):
        assert mention in html, mention
    assert EXEMPTION not in html and "(déclaré)" not in html

    [ready] = [e for e in await kit.events(number) if e["type"].endswith("ready_for_pickup.v1")]
    assert ready["data"]["invoice_number"] == invoice["number"]
    assert ready["data"]["invoice_total_incl_tax"] == "130.80"
    assert ready["data"]["invoice_pdf_url"] == (
        f"{BASE_URL}{await tracking_path(kit, number)}/facture.pdf"
    )
    page = await kit.client.get(await tracking_path(kit, number))
    assert 'id="invoice-link"' in page.text and "/facture.pdf" in page.text

    # Issued once: asked again, the service gives the same invoice and takes no number.
    async with make_session_factory(kit.engine)() as session:
        request = await requests.get_request(session, number, for_update=True)
        again = await service.issue(session, kit.settings, request, actor="prof2", now=utcnow())
        assert (again.number, again.issued_by) == (invoice["number"], "prof1")
        await session.commit()
    assert await invoice_of(kit, number) == invoice


async def test_no_invoice_before_the_work_is_done(kit: Kit) -> None:
    number = await in_progress(kit)
    for path in ("invoice", "invoice.pdf"):
        response = await kit.client.get(
            f"/api/garage/requests/{number}/{path}", headers=kit.teacher
        )
        assert response.status_code == 404
        assert response.headers["content-type"] == "application/problem+json"
    unknown = await kit.client.get(
        "/api/garage/requests/DEM-1999-9999/invoice", headers=kit.teacher
    )
    assert unknown.status_code == 404
    assert (await kit.client.get(f"/api/garage/requests/{number}/invoice")).status_code == 401
    tracking = await tracking_path(kit, number)
    public = await kit.client.get(tracking + "/facture.pdf")
    assert public.status_code == 404 and public.headers["content-type"].startswith("text/html")
    assert "Facture pas encore émise" in public.text
    assert 'id="invoice-link"' not in (await kit.client.get(tracking)).text
    forged = await kit.client.get("/garage/suivi/" + "x" * 32 + "/facture.pdf")
    assert forged.status_code == 404 and "Lien inconnu" in forged.text


@pytest.mark.parametrize(
    ("overrides", "missing"),
    [
        ({"seller_siret": None}, ["GARAGE_SELLER_SIRET"]),
        (
            {"seller_name": " ", "seller_address": None},
            ["GARAGE_SELLER_NAME", "GARAGE_SELLER_ADDRESS"],
        ),
        # No longer liable, but the accepted quote charged VAT: its invoice needs the number.
        ({"vat_liable": False, "seller_vat_number": None}, ["GARAGE_SELLER_VAT_NUMBER"]),
    ],
)
async def test_finish_without_the_sellers_identity_is_409_and_burns_no_number(
    kit: Kit, make_client: MakeClient, overrides: dict[str, Any], missing: list[str]
) -> None:
    first = await in_progress(kit)
    second = await in_progress(kit)
    await finish(kit, first)
    year, last = sequence((await invoice_of(kit, first))["number"])
    path = f"/api/garage/requests/{second}"
    etag = await kit.etag(path)
    events = await kit.events(second)

    async with make_client(**overrides) as misconfigured:
        refused = await misconfigured.post(
            f"{path}/transitions",
            json={"action": "finish", "mileage_km": 90_000},
            headers={**kit.teacher, "If-Match": etag},
        )
    assert refused.status_code == 409, refused.text
    assert refused.headers["content-type"] == "application/problem+json"
    assert refused.json()["type"].endswith("seller-identity-missing")
    assert refused.json()["missing_settings"] == missing
    # Nothing changed: status, mileage, ETag, events, no invoice.
    detail = (await kit.client.get(path, headers=kit.teacher)).json()
    assert (detail["status"], detail["final_mileage_km"]) == ("in_progress", None)
    assert await kit.etag(path) == etag
    assert await kit.events(second) == events
    assert (await kit.client.get(f"{path}/invoice", headers=kit.teacher)).status_code == 404

    await finish(kit, second)
    assert sequence((await invoice_of(kit, second))["number"]) == (year, last + 1)


async def test_the_year_is_the_garages_and_a_rolled_back_finish_gives_its_number_back(
    kit: Kit,
) -> None:
    """23:30 UTC on New Year's Eve is 00:30 on 1 January in Paris: a 2027 invoice. Taken in
    a transaction that rolls back, its number is taken again by the next one."""
    number = await in_progress(kit, mileage_km=123_456)
    new_years_eve = datetime(2026, 12, 31, 23, 30, tzinfo=UTC)
    taken = []
    for _ in range(2):
        async with make_session_factory(kit.engine)() as session:
            request = await requests.get_request(session, number, for_update=True)
            request.final_mileage_km = 123_471  # as `finish` sets it
            invoice = await service.issue(
                session, kit.settings, request, actor="prof1", now=new_years_eve
            )
            taken.append(invoice.number)
            assert invoice.service_date == date(2027, 1, 1)
            assert invoice.issued_at == new_years_eve
            assert invoice.mileage_km == 123_471
            quotes = await repository.accepted_quotes(session, request.id)
            html = plain(service.render_html(kit.settings, invoice, quotes))
            assert "Date d'émission : 1 janvier 2027 à 00:30" in html
            await session.rollback()
    assert taken[0] == taken[1], "a rolled-back invoice gave its number back"
    assert sequence(taken[0])[0] == 2027
    assert (
        await kit.client.get(f"/api/garage/requests/{number}/invoice", headers=kit.teacher)
    ).status_code == 404


async def test_not_liable_to_vat_no_vat_and_the_exemption_mention(
    kit: Kit, make_client: MakeClient
) -> None:
    async with make_client(vat_liable=False, seller_vat_number=None) as client:
        exempt = Kit(client, kit.teacher, kit.engine, kit.settings)
        number = await in_progress(exempt)
        await finish(exempt, number)
        invoice = await invoice_of(exempt, number)
        html = await stored_document(exempt, number)
    assert Decimal(invoice["vat_rate"]) == 0
    assert (invoice["total_ht"], invoice["total_vat"], invoice["total_ttc"]) == (
        "79.00",
        "0.00",
        "79.00",
    )
    assert invoice["seller"]["vat_number"] is None
    assert invoice["seller"]["vat_exemption_mention"] == EXEMPTION
    assert EXEMPTION in html and "TVA sur 79,00 € HT" in html
    assert "TVA 20 %" not in html and "intracommunautaire" not in html
    [ready] = [e for e in await kit.events(number) if e["type"].endswith("ready_for_pickup.v1")]
    assert ready["data"]["invoice_total_incl_tax"] == "79.00"


async def test_each_rate_as_accepted_when_the_vat_status_changed_in_between(
    kit: Kit, make_client: MakeClient
) -> None:
    """The quote was accepted at 20 %, the avenant after the garage stopped charging VAT:
    the invoice keeps each rate the client accepted, with its base, tax and mention."""
    number = await in_progress(kit)
    async with make_client(vat_liable=False) as exempt:
        await add_supplement(
            Kit(exempt, kit.teacher, kit.engine, kit.settings),
            number,
            [
                {
                    "kind": "fee",
                    "label": "Contrôle antipollution",
                    "quantity": "1",
                    "unit_price": "21.00",
                }
            ],
        )
    await finish(kit, number)
    invoice = await invoice_of(kit, number)
    assert invoice["vat_rate"] is None
    assert [
        (Decimal(v["rate"]), v["total_ht"], v["total_vat"]) for v in invoice["vat_breakdown"]
    ] == [(Decimal(0), "21.00", "0.00"), (Decimal("0.20"), "79.00", "15.80")]
    assert (invoice["total_ht"], invoice["total_vat"], invoice["total_ttc"]) == (
        "100.00",
        "15.80",
        "115.80",
    )
    html = await stored_document(kit, number)
    assert "TVA 20 % sur 79,00 € HT" in html and f"TVA sur 21,00 € HT : {EXEMPTION}" in html
    assert f"N° de TVA intracommunautaire : {SELLER['seller_vat_number']}" in html


async def test_invoices_outlive_the_erasure_of_client_data(kit: Kit) -> None:
    """Kept ten years for the accounts; the client's public link dies with the tracking
    token the erasure replaces."""
    number = await in_progress(kit)
    await finish(kit, number)
    assert (await kit.act(number, "hand_back")).status_code == 200
    before = await invoice_of(kit, number)
    pdf_url = f"/api/garage/requests/{number}/invoice.pdf"
    pdf = (await kit.client.get(pdf_url, headers=kit.teacher)).content
    public = await tracking_path(kit, number) + "/facture.pdf"
    assert (await kit.client.get(public)).status_code == 200
    await kit.sql(
        "UPDATE garage.garage_request SET updated_at = now() - interval '4 years' "
        "WHERE number = :n",
        n=number,
    )

    async with unit_of_work(make_session_factory(kit.engine)) as session:
        assert await lifecycle.erase_closed_clients(session, kit.settings, utcnow()) >= 1
    detail = (await kit.client.get(f"/api/garage/requests/{number}", headers=kit.teacher)).json()
    assert detail["anonymised_at"] is not None and detail["email"] == ""
    assert await invoice_of(kit, number) == before
    assert before["client"]["name"] == "Claire Martin"
    assert (await kit.client.get(pdf_url, headers=kit.teacher)).content == pdf
    gone = await kit.client.get(public)
    assert gone.status_code == 404 and "Lien inconnu" in gone.text
