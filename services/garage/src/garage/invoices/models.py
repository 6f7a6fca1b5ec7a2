"""Invoices (factures `FAC-YYYY-NNNN`): drawn from a request's accepted quotes when the work
is finished, and never changed after.

Retention: an invoice is an accounting record kept ten years (Code de commerce, art.
L123-22). The erasure of a client's personal data (`lifecycle.service.erase_closed_clients`,
three years after the request closed) therefore leaves invoice rows and their PDFs alone:
the legal obligation to keep them is the ground for keeping the client's name on them (RGPD
art. 6-1-c). What goes with the client data is the public link to the PDF: it is reached
through the request's tracking token, which the erasure replaces.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import TypedDict
from uuid import UUID

from sqlalchemy import ARRAY, ForeignKey, LargeBinary, Numeric, String, Text
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from garage.db import Base
from garage.quotes.models import QuoteLine


class InvoiceLine(QuoteLine):
    """A quote line as invoiced: the rate it was accepted at and the quote it comes from."""

    vat_rate: str
    quote_number: str


class VatAmount(TypedDict):
    """The base and the tax of one VAT rate (decimals as strings, exact)."""

    rate: str
    total_ht: str
    total_vat: str


class Invoice(Base):
    """Everything printed is stored as it was at issue: the seller's identity, the client,
    the vehicle, the lines and totals, and the PDF with its SHA-256. No row is updated or
    deleted (the request's foreign key restricts its deletion too)."""

    __tablename__ = "invoice"

    id: Mapped[UUID] = mapped_column(primary_key=True)
    request_id: Mapped[UUID] = mapped_column(
        ForeignKey("garage_request.id", ondelete="RESTRICT"), unique=True
    )
    number: Mapped[str] = mapped_column(String(16), unique=True)
    issued_at: Mapped[datetime]
    issued_by: Mapped[str] = mapped_column(String(200))
    service_date: Mapped[date]  # the day the work was finished, in the garage's time zone
    quote_numbers: Mapped[list[str]] = mapped_column(ARRAY(String(16)))
    lines: Mapped[list[InvoiceLine]] = mapped_column(JSONB)
    # The one rate of every line; None when the accepted quotes carry several (a VAT status
    # changed between a quote and its supplement): `vat_breakdown` has each.
    vat_rate: Mapped[Decimal | None] = mapped_column(Numeric(5, 4))
    vat_breakdown: Mapped[list[VatAmount]] = mapped_column(JSONB)
    total_ht: Mapped[Decimal] = mapped_column(Numeric(12, 2))
    total_vat: Mapped[Decimal] = mapped_column(Numeric(12, 2))
    total_ttc: Mapped[Decimal] = mapped_column(Numeric(12, 2))
    seller_name: Mapped[str] = mapped_column(Text)
    seller_address: Mapped[str] = mapped_column(Text)
    seller_siret: Mapped[str] = mapped_column(Text)
    seller_vat_number: Mapped[str | None] = mapped_column(Text)  # when VAT is charged
    vat_exemption_mention: Mapped[str | None] = mapped_column(Text)  # when a line is at 0
    client_name: Mapped[str] = mapped_column(String(201))
    client_email: Mapped[str] = mapped_column(String(254))
    plate: Mapped[str] = mapped_column(String(12))
    make: Mapped[str] = mapped_column(String(60))
    model: Mapped[str] = mapped_column(String(60))
    vin: Mapped[str | None] = mapped_column(String(17))
    mileage_km: Mapped[int]  # read on the odometer when the work was finished
    document_pdf: Mapped[bytes] = mapped_column(LargeBinary)
    document_sha256: Mapped[str] = mapped_column(String(64))
