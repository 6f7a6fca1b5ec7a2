"""An attachment's bytes live in PostgreSQL beside the ticket: one backup holds everything."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from sqlalchemy import CheckConstraint, ForeignKey, Index, LargeBinary, String, func
from sqlalchemy.orm import Mapped, deferred, mapped_column

from ticketing.db import Base


class Attachment(Base):
    __tablename__ = "attachment"
    __table_args__ = (
        Index("ix_attachment_ticket", "ticket_id", "created_at"),
        CheckConstraint("size > 0", name="not_empty"),
    )

    id: Mapped[UUID] = mapped_column(primary_key=True)
    ticket_id: Mapped[UUID] = mapped_column(ForeignKey("ticket.id", ondelete="CASCADE"))
    followup_id: Mapped[UUID | None] = mapped_column(
        ForeignKey("followup.id", ondelete="CASCADE"), index=True
    )
    filename: Mapped[str] = mapped_column(String(255))
    # Read from the bytes (magic numbers), never from what the client declared.
    content_type: Mapped[str] = mapped_column(String(100))
    size: Mapped[int]
    sha256: Mapped[str] = mapped_column(String(64))
    # Loaded only when the file is downloaded, not with every list.
    content: Mapped[bytes] = deferred(mapped_column(LargeBinary, nullable=False))
    uploaded_by: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(server_default=func.now())
