"""Invoice payloads of the staff API (read only: an invoice never changes)."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from pydantic import BaseModel

from garage.invoices.models import Invoice


class InvoiceLineOut(BaseModel):
    kind: str  # labour | part | fee
    label: str
    quantity: Decimal
    unit_price: Decimal  # HT
    parts_origin: str | None  # parts only: new | used | client
    total_ht: Decimal
    vat_rate: Decimal
    quote_number: str  # the accepted quote or supplement the line comes from


class VatAmountOut(BaseModel):
    rate: Decimal
    total_ht: Decimal
    total_vat: Decimal


class SellerOut(BaseModel):
    name: str
    address: str
    siret: str
    vat_number: str | None  # printed when VAT is charged
    vat_exemption_mention: str | None  # printed when a line bears no VAT


class ClientOut(BaseModel):
    name: str
    email: str


class VehicleOut(BaseModel):
    plate: str
    make: str
    model: str
    vin: str | None
    mileage_km: int


class InvoiceOut(BaseModel):
    number: str
    request_number: str
    issued_at: datetime
    issued_by: str
    service_date: date  # the day the work was finished (garage's time zone)
    quote_numbers: list[str]
    lines: list[InvoiceLineOut]
    vat_rate: Decimal | None  # null when the lines carry several rates: see vat_breakdown
    vat_breakdown: list[VatAmountOut]
    total_ht: Decimal
    total_vat: Decimal
    total_ttc: Decimal
    seller: SellerOut
    client: ClientOut
    vehicle: VehicleOut
    document_sha256: str  # of the PDF at `…/invoice.pdf`, byte for byte

    @classmethod
    def of(cls, invoice: Invoice, request_number: str) -> InvoiceOut:
        return cls(
            number=invoice.number,
            request_number=request_number,
            issued_at=invoice.issued_at,
            issued_by=invoice.issued_by,
            service_date=invoice.service_date,
            quote_numbers=invoice.quote_numbers,
            lines=[InvoiceLineOut.model_validate(line) for line in invoice.lines],
            vat_rate=invoice.vat_rate,
            vat_breakdown=[VatAmountOut.model_validate(vat) for vat in invoice.vat_breakdown],
            total_ht=invoice.total_ht,
            total_vat=invoice.total_vat,
            total_ttc=invoice.total_ttc,
            seller=SellerOut(
                name=invoice.seller_name,
                address=invoice.seller_address,
                siret=invoice.seller_siret,
                vat_number=invoice.seller_vat_number,
                vat_exemption_mention=invoice.vat_exemption_mention,
            ),
            client=ClientOut(name=invoice.client_name, email=invoice.client_email),
            vehicle=VehicleOut(
                plate=invoice.plate,
                make=invoice.make,
                model=invoice.model,
                vin=invoice.vin,
                mileage_km=invoice.mileage_km,
            ),
            document_sha256=invoice.document_sha256,
        )
