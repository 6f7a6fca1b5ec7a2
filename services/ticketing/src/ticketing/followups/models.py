"""A followup: a message on a ticket's thread, public (the requester reads it, it is
searched and announced) or private (the staff's notes)."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from sqlalchemy import ForeignKey, Index, String, func
from sqlalchemy import Text as SqlText
from sqlalchemy.orm import Mapped, mapped_column

from ticketing.db import Base


class Followup(Base):
    __tablename__ = "followup"
    __table_args__ = (Index("ix_followup_ticket", "ticket_id", "created_at", "id"),)

    id: Mapped[UUID] = mapped_column(primary_key=True)
    ticket_id: Mapped[UUID] = mapped_column(ForeignKey("ticket.id", ondelete="CASCADE"))
    public: Mapped[bool]
    content: Mapped[str] = mapped_column(SqlText)
    author: Mapped[str] = mapped_column(String(200))
    author_name: Mapped[str | None] = mapped_column(String(120))
    created_at: Mapped[datetime] = mapped_column(server_default=func.now())
