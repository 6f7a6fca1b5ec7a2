"""A ticket, its history of changes and its checklist.

What a ticket shows of the park (the site's name, the host's room, model and hostname) and
of its category is copied onto it when it is written: lists and events read one row, and
the ticket keeps what was true when it was opened."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any
from uuid import UUID

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    ForeignKey,
    Identity,
    Index,
    SmallInteger,
    String,
    func,
    text,
)
from sqlalchemy import Text as SqlText
from sqlalchemy.dialects.postgresql import JSONB, TSVECTOR
from sqlalchemy.orm import Mapped, mapped_column, relationship

from guichet_common.db import EnumText
from ticketing.db import Base


class TicketType(StrEnum):
    INCIDENT = "incident"
    REQUEST = "request"


class Status(StrEnum):
    NEW = "new"
    ASSIGNED = "assigned"
    PLANNED = "planned"
    PENDING = "pending"
    SOLVED = "solved"
    CLOSED = "closed"
    CANCELLED = "cancelled"


class Channel(StrEnum):
    PHONE = "phone"
    EMAIL = "email"
    PORTAL = "portal"
    ON_SITE = "on_site"


class PendingReason(StrEnum):
    USER = "user"
    SUPPLIER = "supplier"
    PART = "part"


TYPE_LABELS = {TicketType.INCIDENT: "Incident", TicketType.REQUEST: "Demande"}
STATUS_LABELS = {
    Status.NEW: "Nouveau",
    Status.ASSIGNED: "En cours (attribué)",
    Status.PLANNED: "En cours (planifié)",
    Status.PENDING: "En attente",
    Status.SOLVED: "Résolu",
    Status.CLOSED: "Clos",
    Status.CANCELLED: "Annulé",
}
CHANNEL_LABELS = {
    Channel.PHONE: "Téléphone",
    Channel.EMAIL: "Courriel",
    Channel.PORTAL: "Portail",
    Channel.ON_SITE: "Sur place",
}
PENDING_LABELS = {
    PendingReason.USER: "En attente de l'utilisateur",
    PendingReason.SUPPLIER: "En attente du fournisseur",
    PendingReason.PART: "En attente de pièce",
}


class ResolutionCode(StrEnum):
    FIXED = "fixed"
    WORKAROUND = "workaround"
    REPLACED = "replaced"
    USER_GUIDANCE = "user_guidance"
    SUPPLIER = "supplier"
    NO_FAULT = "no_fault"
    DUPLICATE = "duplicate"


RESOLUTION_LABELS = {
    ResolutionCode.FIXED: "Réparé",
    ResolutionCode.WORKAROUND: "Contournement",
    ResolutionCode.REPLACED: "Matériel remplacé",
    ResolutionCode.USER_GUIDANCE: "Explication à l'utilisateur",
    ResolutionCode.SUPPLIER: "Intervention du fournisseur",
    ResolutionCode.NO_FAULT: "Aucun défaut constaté",
    ResolutionCode.DUPLICATE: "Doublon",
}
# Urgency, impact and priority 1-5 (GLPI's scale); priority 6 is set by hand only.
LEVEL_LABELS = {
    1: "Très basse",
    2: "Basse",
    3: "Moyenne",
    4: "Haute",
    5: "Très haute",
    6: "Majeure",
}

# GLPI's search meta-statuses.
STATUS_GROUPS: dict[str, frozenset[Status]] = {
    "notold": frozenset({Status.NEW, Status.ASSIGNED, Status.PLANNED, Status.PENDING}),
    "notclosed": frozenset(set(Status) - {Status.CLOSED, Status.CANCELLED}),
    "process": frozenset({Status.ASSIGNED, Status.PLANNED}),
    "old": frozenset({Status.SOLVED, Status.CLOSED, Status.CANCELLED}),
    "all": frozenset(Status),
}


class Ticket(Base):
    __tablename__ = "ticket"
    __table_args__ = (
        CheckConstraint("urgency BETWEEN 1 AND 5", name="urgency_range"),
        CheckConstraint("impact BETWEEN 1 AND 5", name="impact_range"),
        CheckConstraint("priority BETWEEN 1 AND 6", name="priority_range"),
        CheckConstraint(
            "requester_email IS NOT NULL OR requester_phone IS NOT NULL",
            name="requester_reachable",
        ),
        # The lists' orders: newest first, overall and per site.
        Index("ix_ticket_created", text("created_at DESC"), text("id DESC")),
        Index("ix_ticket_site_created", "site_code", text("created_at DESC"), text("id DESC")),
        Index("ix_ticket_status_created", "status", text("created_at DESC")),
        Index("ix_ticket_assignee", "assignee", "status"),
        Index("ix_ticket_opened_by", "opened_by"),
        Index("ix_ticket_requester_email", text("lower(requester_email)")),
        Index("ix_ticket_affected_email", text("lower(affected_email)")),
        Index("ix_ticket_search", text("(search || followup_search)"), postgresql_using="gin"),
    )

    id: Mapped[UUID] = mapped_column(primary_key=True)
    reference: Mapped[str] = mapped_column(String(16), unique=True)
    type: Mapped[TicketType] = mapped_column(EnumText(TicketType, 10))
    status: Mapped[Status] = mapped_column(EnumText(Status, 10))
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(SqlText)
    category_code: Mapped[str] = mapped_column(ForeignKey("category.code"))
    category_label: Mapped[str] = mapped_column(String(120))
    # The answers to the category's own fields, by key.
    category_fields: Mapped[dict[str, Any]] = mapped_column(JSONB, server_default=text("'{}'"))
    urgency: Mapped[int] = mapped_column(SmallInteger)
    impact: Mapped[int] = mapped_column(SmallInteger)
    priority: Mapped[int] = mapped_column(SmallInteger)
    # Set by hand (6 "Majeure" always is): urgency and impact no longer recompute it.
    priority_manual: Mapped[bool] = mapped_column(server_default=text("false"))
    site_code: Mapped[str] = mapped_column(String(20))
    site_name: Mapped[str] = mapped_column(String(200))
    room_code: Mapped[str | None] = mapped_column(String(20))
    # The GPI label. Known to the park: hostname and model filled from it; unknown: kept,
    # and flagged, never refused.
    asset_tag: Mapped[str | None] = mapped_column(String(40))
    asset_known: Mapped[bool | None]
    hostname: Mapped[str | None] = mapped_column(String(15))
    model: Mapped[str | None] = mapped_column(String(200))
    hardware_need: Mapped[str | None] = mapped_column(String(1000))
    channel: Mapped[Channel] = mapped_column(EnumText(Channel, 10))
    # Who opened it (the token's `sub`), and the people it concerns.
    opened_by: Mapped[str] = mapped_column(String(200))
    requester_name: Mapped[str] = mapped_column(String(120))
    requester_email: Mapped[str | None] = mapped_column(String(254))
    requester_phone: Mapped[str | None] = mapped_column(String(30))
    affected_name: Mapped[str | None] = mapped_column(String(120))
    affected_email: Mapped[str | None] = mapped_column(String(254))
    affected_phone: Mapped[str | None] = mapped_column(String(30))
    assignee: Mapped[str | None] = mapped_column(ForeignKey("technician.login"))
    assignee_name: Mapped[str | None] = mapped_column(String(120))
    assignee_email: Mapped[str | None] = mapped_column(String(254))
    group_code: Mapped[str | None] = mapped_column(ForeignKey("support_group.code"))
    group_name: Mapped[str | None] = mapped_column(String(120))
    pending_reason: Mapped[PendingReason | None] = mapped_column(EnumText(PendingReason, 10))
    planned_for: Mapped[datetime | None]
    solution: Mapped[str | None] = mapped_column(SqlText)
    resolution_code: Mapped[ResolutionCode | None] = mapped_column(EnumText(ResolutionCode, 20))
    # French full-text documents, accents folded (`text_search`): the title and description,
    # and the public followups (each appended as it is posted). Searched together.
    search: Mapped[Any] = mapped_column(TSVECTOR)
    followup_search: Mapped[Any] = mapped_column(TSVECTOR, server_default=text("''::tsvector"))
    created_at: Mapped[datetime] = mapped_column(server_default=func.now())
    updated_at: Mapped[datetime] = mapped_column(server_default=func.now())
    solved_at: Mapped[datetime | None]
    closed_at: Mapped[datetime | None]
    # The ETag: every UPDATE checks and bumps it (SQLAlchemy's version counter).
    version: Mapped[int] = mapped_column(server_default=text("1"))

    __mapper_args__ = {"version_id_col": version, "eager_defaults": True}


class TicketChange(Base):
    """One entry of a ticket's history: who did what, and each field's old and new value
    (`{"urgency": [2, 4]}`)."""

    __tablename__ = "ticket_change"
    __table_args__ = (Index("ix_ticket_change_ticket", "ticket_id", "id"),)

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    ticket_id: Mapped[UUID] = mapped_column(ForeignKey("ticket.id", ondelete="CASCADE"))
    at: Mapped[datetime] = mapped_column(server_default=func.now())
    actor: Mapped[str] = mapped_column(String(200))
    actor_name: Mapped[str | None] = mapped_column(String(120))
    # created, updated, or the lifecycle action (assign, solve, …), followup_added…
    action: Mapped[str] = mapped_column(String(30))
    changes: Mapped[dict[str, Any]] = mapped_column(JSONB, server_default=text("'{}'"))
    reason: Mapped[str | None] = mapped_column(String(1000))

    # Never loaded (`raise`): declared so that a flush writing a new ticket with its first
    # entry inserts the ticket first.
    ticket: Mapped[Ticket] = relationship(lazy="raise")


class TicketTask(Base):
    """A step of the ticket's checklist, from its category's template or added by hand."""

    __tablename__ = "ticket_task"
    __table_args__ = (
        Index("ix_ticket_task_ticket", "ticket_id", "position"),
        CheckConstraint("duration_minutes IS NULL OR duration_minutes >= 0", name="duration"),
    )

    id: Mapped[UUID] = mapped_column(primary_key=True)
    ticket_id: Mapped[UUID] = mapped_column(ForeignKey("ticket.id", ondelete="CASCADE"))
    position: Mapped[int]
    label: Mapped[str] = mapped_column(String(300))
    done: Mapped[bool] = mapped_column(server_default=text("false"))
    done_by: Mapped[str | None] = mapped_column(String(200))
    done_at: Mapped[datetime | None]
    duration_minutes: Mapped[int | None]
    created_at: Mapped[datetime] = mapped_column(server_default=func.now())
    version: Mapped[int] = mapped_column(server_default=text("1"))

    # As `TicketChange.ticket`: the ticket is inserted before its checklist.
    ticket: Mapped[Ticket] = relationship(lazy="raise")

    __mapper_args__ = {"version_id_col": version, "eager_defaults": True}
