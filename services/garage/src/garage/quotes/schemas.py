"""Quote payloads of the staff API."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Literal
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field, model_validator

from garage.quotes.models import PartsOrigin, Quote, QuoteStatus
from guichet_common.text import Text


class QuoteLineIn(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    kind: Literal["labour", "part", "fee"]
    label: Text = Field(min_length=1, max_length=200)
    quantity: Decimal = Field(gt=0, le=1000, decimal_places=2)
    unit_price: Decimal | None = Field(default=None, ge=0, le=100_000, decimal_places=2)
    parts_origin: PartsOrigin | None = None

    @model_validator(mode="after")
    def _consistent(self) -> QuoteLineIn:
        if self.kind == "part" and self.parts_origin is None:
            raise ValueError("parts_origin is required for a part (new, used or client)")
        if self.kind != "labour" and self.unit_price is None:
            raise ValueError("unit_price is required for parts and fees")
        return self


class QuoteUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    lines: list[QuoteLineIn] = Field(min_length=1, max_length=50)
    start_date: date | None = None
    duration_days: int | None = Field(default=None, ge=1, le=60)


class QuoteLineOut(BaseModel):
    kind: str
    label: str
    quantity: Decimal
    unit_price: Decimal
    parts_origin: str | None
    total_ht: Decimal


class QuoteOut(BaseModel):
    id: UUID
    request_number: str
    version: int
    is_supplement: bool
    status: QuoteStatus
    number: str | None
    lines: list[QuoteLineOut]
    hourly_rate: Decimal
    vat_rate: Decimal
    total_ht: Decimal
    total_vat: Decimal
    total_ttc: Decimal
    start_date: date | None
    duration_days: int | None
    issued_at: datetime | None
    valid_until: date | None
    document_sha256: str | None
    decided_at: datetime | None
    decision_name: str | None

    @classmethod
    def of(cls, quote: Quote, request_number: str) -> QuoteOut:
        return cls.model_validate(
            {
                **{name: getattr(quote, name) for name in _QUOTE_FIELDS},
                "request_number": request_number,
                "lines": [QuoteLineOut.model_validate(line) for line in quote.lines],
            }
        )


_QUOTE_FIELDS = (
    "id",
    "version",
    "is_supplement",
    "status",
    "number",
    "hourly_rate",
    "vat_rate",
    "total_ht",
    "total_vat",
    "total_ttc",
    "start_date",
    "duration_days",
    "issued_at",
    "valid_until",
    "document_sha256",
    "decided_at",
    "decision_name",
)


class IssuedQuote(QuoteOut):
    decision_url: str
