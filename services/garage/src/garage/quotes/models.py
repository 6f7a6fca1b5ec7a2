"""Quotes (devis `DEV-YYYY-NNNN`), their versions, and the client's decision links."""

from __future__ import annotations

from enum import StrEnum

from sqlalchemy import (
    Boolean,
    Column,
    Date,
    DateTime,
    ForeignKey,
    Integer,
    LargeBinary,
    Numeric,
    String,
    Table,
    UniqueConstraint,
    func,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB, UUID

from garage.db import metadata


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


quote = Table(
    "quote",
    metadata,
    Column("id", UUID(as_uuid=True), primary_key=True),
    Column(
        "request_id",
        UUID(as_uuid=True),
        # Deferred: a submission writes these before the request row, which takes the
        # number last so the counter's row lock is held as briefly as possible.
        ForeignKey("garage_request.id", ondelete="CASCADE", deferrable=True, initially="DEFERRED"),
        nullable=False,
        index=True,
    ),
    Column("version", Integer, nullable=False),
    Column("is_supplement", Boolean, nullable=False, server_default=text("false")),
    Column("status", String(12), nullable=False),
    Column("number", String(16), unique=True),
    Column("lines", JSONB, nullable=False),
    Column("hourly_rate", Numeric(10, 2), nullable=False),
    Column("vat_rate", Numeric(5, 4), nullable=False),
    Column("total_ht", Numeric(12, 2), nullable=False),
    Column("total_vat", Numeric(12, 2), nullable=False),
    Column("total_ttc", Numeric(12, 2), nullable=False),
    Column("start_date", Date),
    Column("duration_days", Integer),
    Column("etag_version", Integer, nullable=False, server_default=text("1")),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Column("issued_at", DateTime(timezone=True)),
    Column("issued_by", String(200)),
    Column("valid_until", Date),
    Column("document_pdf", LargeBinary),
    Column("document_sha256", String(64)),
    Column("decided_at", DateTime(timezone=True)),
    Column("decision_name", String(200)),
    Column("decision_ip", String(64)),
    UniqueConstraint("request_id", "version"),
)

quote_link = Table(
    "quote_link",
    metadata,
    Column("token_id", String(32), primary_key=True),
    Column(
        "quote_id",
        UUID(as_uuid=True),
        ForeignKey("quote.id", ondelete="CASCADE"),
        nullable=False,
        index=True,
    ),
    Column("expires_at", DateTime(timezone=True), nullable=False),
    Column("used_at", DateTime(timezone=True)),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
)
