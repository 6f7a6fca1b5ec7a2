"""`/api/garage/requests/{number}/invoice` (JSON) and `…/invoice.pdf` (the stored PDF)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Response

from garage.deps import TeacherReads
from garage.invoices import service
from garage.invoices.schemas import InvoiceOut
from guichet_common.http import PROBLEM, SessionDep
from guichet_common.text import Text

router = APIRouter(tags=["invoices"])

PDF: dict[int | str, dict[str, Any]] = {200: {"content": {"application/pdf": {}}}, 404: PROBLEM}


@router.get("/requests/{number}/invoice", response_model=InvoiceOut, responses={404: PROBLEM})
async def get_invoice(number: Text, session: SessionDep, _teacher: TeacherReads) -> InvoiceOut:
    """The invoice (`FAC-YYYY-NNNN`) issued when the work was finished; 404 before."""
    invoice, request = await service.of_request(session, number)
    return InvoiceOut.of(invoice, request.number)


@router.get("/requests/{number}/invoice.pdf", response_class=Response, responses=PDF)
async def invoice_pdf(number: Text, session: SessionDep, _teacher: TeacherReads) -> Response:
    """The PDF as issued, byte for byte the one `document_sha256` refers to; 404 before."""
    invoice, _request = await service.of_request(session, number)
    return Response(
        invoice.document_pdf,
        media_type="application/pdf",
        headers={"Content-Disposition": f'inline; filename="{invoice.number}.pdf"'},
    )
