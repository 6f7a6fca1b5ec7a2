"""`/api/garage/…quotes…`: drafts, versions, issue, the frozen PDF, the repair note."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from fastapi import APIRouter, Response
from pydantic import BaseModel, ConfigDict

from garage.deps import SettingsDep, TeacherReads, TeacherWrites
from garage.quotes import service
from garage.quotes.schemas import IssuedQuote, QuoteOut, QuoteUpdate
from guichet_common.http import (
    PRECONDITION_RESPONSES,
    PROBLEM,
    IfMatch,
    NotFound,
    SessionDep,
    etag_for,
)
from guichet_common.text import Text

router = APIRouter(tags=["quotes"])

PDF: dict[int | str, dict[str, Any]] = {200: {"content": {"application/pdf": {}}}, 404: PROBLEM}


class NewQuoteVersion(BaseModel):
    model_config = ConfigDict(extra="forbid")

    supplement: bool = False  # an avenant: extra work on an accepted quote


@router.get("/requests/{number}/quotes", response_model=list[QuoteOut])
async def list_quotes(number: Text, session: SessionDep, _teacher: TeacherReads) -> list[QuoteOut]:
    request, quotes = await service.quotes_of(session, number)
    return [QuoteOut.of(quote, request.number) for quote in quotes]


@router.post(
    "/requests/{number}/quotes",
    status_code=201,
    response_model=QuoteOut,
    responses={404: PROBLEM, 409: PROBLEM},
)
async def create_quote_version(
    number: Text,
    data: NewQuoteVersion,
    response: Response,
    session: SessionDep,
    settings: SettingsDep,
    _teacher: TeacherWrites,
) -> QuoteOut:
    """A new draft version (a change to an issued quote), or a supplement (avenant)."""
    quote, request = await service.new_version(
        session, settings, number, supplement=data.supplement
    )
    response.headers["ETag"] = etag_for(quote.etag_version)
    return QuoteOut.of(quote, request.number)


@router.get("/quotes/{quote_id}", response_model=QuoteOut, responses={404: PROBLEM})
async def get_quote(
    quote_id: UUID, response: Response, session: SessionDep, _teacher: TeacherReads
) -> QuoteOut:
    quote, request = await service.get_quote(session, quote_id)
    response.headers["ETag"] = etag_for(quote.etag_version)
    return QuoteOut.of(quote, request.number)


@router.put(
    "/quotes/{quote_id}",
    response_model=QuoteOut,
    responses={404: PROBLEM, 409: PROBLEM, **PRECONDITION_RESPONSES},
)
async def update_quote(
    quote_id: UUID,
    data: QuoteUpdate,
    response: Response,
    session: SessionDep,
    _teacher: TeacherWrites,
    if_match: IfMatch = None,
) -> QuoteOut:
    """Edit a draft (lines, start date, duration). An issued quote is 409: revise it."""
    quote, request = await service.update_draft(session, quote_id, data, if_match=if_match)
    response.headers["ETag"] = etag_for(quote.etag_version)
    return QuoteOut.of(quote, request.number)


@router.post(
    "/quotes/{quote_id}/issue",
    response_model=IssuedQuote,
    responses={404: PROBLEM, 409: PROBLEM, **PRECONDITION_RESPONSES},
)
async def issue_quote(
    quote_id: UUID,
    response: Response,
    session: SessionDep,
    settings: SettingsDep,
    teacher: TeacherWrites,
    if_match: IfMatch = None,
) -> IssuedQuote:
    """Numbers the quote (`DEV-YYYY-NNNN`), freezes its PDF and hash, valid 30 days, and
    publishes it with the client's signed decision link. Needs the ETag with `If-Match`."""
    quote, request, decision_url = await service.issue(
        session, settings, quote_id, actor=teacher.subject, if_match=if_match
    )
    response.headers["ETag"] = etag_for(quote.etag_version)
    return IssuedQuote(**QuoteOut.of(quote, request.number).model_dump(), decision_url=decision_url)


@router.get("/quotes/{quote_id}/document.pdf", response_class=Response, responses=PDF)
async def quote_pdf(quote_id: UUID, session: SessionDep, _teacher: TeacherReads) -> Response:
    """The issued document, byte for byte the one the client's decision hash refers to."""
    quote, _request = await service.get_quote(session, quote_id)
    if quote.document_pdf is None:
        raise NotFound("no document: a draft, or erased with the client's personal data")
    return Response(quote.document_pdf, media_type="application/pdf")


@router.get("/requests/{number}/repair-note.pdf", response_class=Response, responses=PDF)
async def repair_note_pdf(
    number: Text, session: SessionDep, settings: SettingsDep, _teacher: TeacherReads
) -> Response:
    """The final repair note: plate, mileage, work done, parts and their origin, totals."""
    pdf = await service.repair_note_pdf(session, settings, number)
    return Response(pdf, media_type="application/pdf")
