"""Quotes (devis `DEV-YYYY-NNNN`), their versions, and the client's decision links."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum
from typing import TypedDict
from uuid import UUID

from sqlalchemy import (
    ForeignKey,
    LargeBinary,
    Numeric,
    String,
    UniqueConstraint,
    func,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from garage.db import Base
from guichet_common.db import EnumText


class QuoteStatus(StrEnum):
    DRAFT = "draft"
    ISSUED = "issued"
    ACCEPTED = "accepted"
    REFUSED = "refused"
    EXPIRED = "expired"
    SUPERSEDED = "superseded"


class PartsOrigin(StrEnum):
    NEW = "new"
    USED = "used"
    CLIENT = "client"  # brought by the client


class QuoteLine(TypedDict):
    """A priced line as stored (decimals as strings, exact)."""

    kind: str  # labour | part | fee
    label: str
    quantity: str
    unit_price: str
    parts_origin: str | None
    total_ht: str


class Quote(Base):
    __tablename__ = "quote"
    __table_args__ = (UniqueConstraint("request_id", "version"),)

    id: Mapped[UUID] = mapped_column(primary_key=True)
    request_id: Mapped[UUID] = mapped_column(
        ForeignKey("garage_request.id", ondelete="CASCADE", deferrable=True, initially="DEFERRED"),
        index=True,
    )
    version: Mapped[int]  # of the quote for its request (v1, v2…), not the ETag
    is_supplement: Mapped[bool] = mapped_column(server_default=text("false"))
    status: Mapped[QuoteStatus] = mapped_column(EnumText(QuoteStatus, 12))
    number: Mapped[str | None] = mapped_column(String(16), unique=True)
    lines: Mapped[list[QuoteLine]] = mapped_column(JSONB)
    hourly_rate: Mapped[Decimal] = mapped_column(Numeric(10, 2))
    vat_rate: Mapped[Decimal] = mapped_column(Numeric(5, 4))
    total_ht: Mapped[Decimal] = mapped_column(Numeric(12, 2))
    total_vat: Mapped[Decimal] = mapped_column(Numeric(12, 2))
    total_ttc: Mapped[Decimal] = mapped_column(Numeric(12, 2))
    start_date: Mapped[date | None]
    duration_days: Mapped[int | None]
    # The ETag: every UPDATE checks and bumps it (SQLAlchemy's version counter).
    etag_version: Mapped[int] = mapped_column(server_default=text("1"))
    created_at: Mapped[datetime] = mapped_column(server_default=func.now())
    issued_at: Mapped[datetime | None]
    issued_by: Mapped[str | None] = mapped_column(String(200))
    valid_until: Mapped[date | None]
    document_pdf: Mapped[bytes | None] = mapped_column(LargeBinary)
    document_sha256: Mapped[str | None] = mapped_column(String(64))
    decided_at: Mapped[datetime | None]
    decision_name: Mapped[str | None] = mapped_column(String(200))
    decision_ip: Mapped[str | None] = mapped_column(String(64))

    __mapper_args__ = {"version_id_col": etag_version, "eager_defaults": True}


class QuoteLink(Base):
    """A client's signed, expiring, single-use link to decide on a quote."""

    __tablename__ = "quote_link"

    token_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    quote_id: Mapped[UUID] = mapped_column(ForeignKey("quote.id", ondelete="CASCADE"), index=True)
    expires_at: Mapped[datetime]
    used_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(server_default=func.now())
