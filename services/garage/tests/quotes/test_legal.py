"""What makes a devis one a school can sign: the seller's identity, one VAT status behind
both the mention and the totals, numbers and dates in the garage's time zone."""

from __future__ import annotations

import io
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest
from pypdf import PdfReader
from sqlalchemy.ext.asyncio import AsyncEngine

from garage.lifecycle import service as lifecycle
from garage.quotes import service as quotes
from garage.requests.schemas import RequestSubmission
from guichet_common.db import make_session_factory, unit_of_work
from guichet_common.http import etag_for

from ..conftest import Kit

pytestmark = pytest.mark.integration

PARIS = ZoneInfo("Europe/Paris")
UTC = ZoneInfo("UTC")

MakeClient = Callable[..., AbstractAsyncContextManager[httpx.AsyncClient]]


def pdf_text(content: bytes) -> str:
    return " ".join(
        " ".join(page.extract_text().split()) for page in PdfReader(io.BytesIO(content)).pages
    )


@pytest.fixture
async def kit_with(
    make_client: MakeClient, kit: Kit, engine: AsyncEngine
) -> AsyncIterator[Callable[..., AbstractAsyncContextManager[Kit]]]:
    """A kit whose garage runs with other settings."""
    from contextlib import asynccontextmanager

    @asynccontextmanager
    async def factory(**overrides: Any) -> AsyncIterator[Kit]:
        async with make_client(**overrides) as client:
            yield Kit(client, kit.teacher, engine, kit.settings.model_copy(update=overrides))

    yield factory


async def issued_pdf(kit: Kit) -> tuple[dict[str, Any], str]:
    number = (await kit.submit(service_type="oil_change"))["number"]
    issued = await kit.issue_first_quote(number)
    document = await kit.client.get(
        f"/api/garage/quotes/{issued['id']}/document.pdf", headers=kit.teacher
    )
    assert document.status_code == 200
    return issued, pdf_text(document.content)


async def test_a_vat_liable_garage_charges_vat_and_prints_its_number(kit: Kit) -> None:
    issued, text = await issued_pdf(kit)
    assert (issued["total_ht"], issued["total_vat"], issued["total_ttc"]) == (
        "60.00",
        "12.00",
        "72.00",
    )
    assert "N° TVA intracommunautaire : FR 40 194500012" in text
    assert "TVA 20 %" in text and "Total TTC" in text
    assert "256 B" not in text and "non applicable" not in text
    assert "SIRET : 194 500 012 00019" in text and "45000 Orléans" in text


async def test_a_garage_not_liable_charges_none_and_says_why(
    kit_with: Callable[..., AbstractAsyncContextManager[Kit]],
) -> None:
    async with kit_with(vat_liable=False, seller_vat_number=None) as kit:
        issued, text = await issued_pdf(kit)
    assert (issued["vat_rate"], issued["total_vat"]) == ("0.0000", "0.00")
    assert issued["total_ttc"] == issued["total_ht"] == "60.00"
    assert "TVA non applicable, art. 256 B du CGI" in text
    assert "TVA 20" not in text and "TTC" not in text and "intracommunautaire" not in text


async def test_no_quote_is_issued_without_the_sellers_identity(
    kit: Kit, kit_with: Callable[..., AbstractAsyncContextManager[Kit]]
) -> None:
    before = (await kit.issue_first_quote((await kit.submit())["number"]))["number"]
    async with kit_with(seller_siret=None, seller_address="  ") as anonymous:
        number = (await anonymous.submit())["number"]
        [draft] = await anonymous.quotes(number)
        etag = await anonymous.etag(f"/api/garage/quotes/{draft['id']}")
        refused = await anonymous.client.post(
            f"/api/garage/quotes/{draft['id']}/issue",
            headers={**anonymous.teacher, "If-Match": etag},
        )
    assert refused.status_code == 409
    problem = refused.json()
    assert problem["missing_settings"] == ["GARAGE_SELLER_ADDRESS", "GARAGE_SELLER_SIRET"]
    assert "GARAGE_SELLER_ADDRESS" in problem["detail"]
    assert (await kit.quotes(number))[0]["status"] == "draft"
    assert await kit.status(number) == "submitted"
    after = (await kit.issue_first_quote(number))["number"]
    year, sequence = before.rsplit("-", 1)
    assert after == f"{year}-{int(sequence) + 1:04d}", "the refused issue burnt no number"


def test_a_siret_must_be_a_siret(kit: Kit) -> None:
    with pytest.raises(ValueError, match="GARAGE_SELLER_SIRET"):
        kit.settings.model_validate(
            {**kit.settings.model_dump(), "seller_siret": "123 456 789 00012"}
        )


async def submit_at(kit: Kit, now: datetime) -> str:
    data = RequestSubmission.model_validate(kit.submission())
    async with unit_of_work(make_session_factory(kit.engine)) as session:
        return (await lifecycle.submit(session, kit.settings, data, now)).number


async def test_numbers_take_the_year_in_paris_at_new_year(kit: Kit) -> None:
    # 23:30 UTC on 31 December is 00:30 on 1 January in Paris.
    new_year = datetime(2026, 12, 31, 23, 30, tzinfo=UTC)
    old_year = datetime(2026, 12, 31, 22, 30, tzinfo=UTC)  # 23:30 in Paris
    assert (await submit_at(kit, new_year)).startswith("DEM-2027-")
    number = await submit_at(kit, old_year)
    assert number.startswith("DEM-2026-")

    [draft] = await kit.quotes(number)
    async with unit_of_work(make_session_factory(kit.engine)) as session:
        quote, _request, _url = await quotes.issue(
            session,
            kit.settings,
            draft["id"],
            actor="prof1",
            if_match=etag_for(1),
            now=new_year,
        )
    assert quote.number is not None and quote.number.startswith("DEV-2027-")
    assert quote.valid_until == date(2027, 1, 31)  # 30 days from 1 January, Paris
