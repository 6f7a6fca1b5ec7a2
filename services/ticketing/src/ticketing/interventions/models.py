"""An intervention on a ticket, on site or remote, and the signature of an on-site sheet.

An on-site intervention carries its sheet (the Rhône's fiche d'intervention): what the
sheet shows of the ticket is copied when the intervention is created and never follows the
ticket afterwards, so the sheet a user signs is the sheet that was printed. Its planning
(technician, date) may move until it is signed. A remote one carries the user's consent,
which the database requires of every remote row: remote help without it cannot be stored."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from uuid import UUID

from sqlalchemy import CheckConstraint, ForeignKey, Index, LargeBinary, String, func, text
from sqlalchemy import Text as SqlText
from sqlalchemy.orm import Mapped, mapped_column

from guichet_common.db import EnumText
from ticketing.db import Base


class Mode(StrEnum):
    ON_SITE = "on_site"
    REMOTE = "remote"


class ConsentChannel(StrEnum):
    """How the user said yes to remote help."""

    PHONE = "phone"
    EMAIL = "email"
    IN_PERSON = "in_person"
    CHAT = "chat"


MODE_LABELS = {Mode.ON_SITE: "Sur site", Mode.REMOTE: "À distance"}
CONSENT_LABELS = {
    ConsentChannel.PHONE: "Par téléphone",
    ConsentChannel.EMAIL: "Par courriel",
    ConsentChannel.IN_PERSON: "En personne",
    ConsentChannel.CHAT: "Par messagerie instantanée",
}

# What the sheet copies of the ticket (the same names on both), with the ticket's creation
# as `notified_at`.
COPIED_FROM_TICKET = (
    *("reference", "title", "category_label", "site_code", "site_name", "room_code"),
    *("asset_tag", "model", "hostname", "hardware_need", "requester_name", "requester_phone"),
    *("affected_name", "affected_phone"),
)


class Intervention(Base):
    __tablename__ = "intervention"
    __table_args__ = (
        Index("ix_intervention_ticket", "ticket_id", "created_at"),
        # A technician's agenda: their visits by time.
        Index("ix_intervention_agenda", "technician", "planned_for"),
        CheckConstraint(
            "mode <> 'remote' OR (consent_given_by IS NOT NULL AND consent_given_at IS NOT NULL"
            " AND consent_how IS NOT NULL AND session_id IS NOT NULL AND started_at IS NOT NULL"
            " AND ended_at IS NOT NULL AND clean_close IS NOT NULL"
            " AND user_confirmed_working IS NOT NULL)",
            name="remote_with_consent",
        ),
        CheckConstraint(
            "consent_given_at IS NULL OR consent_given_at <= started_at", name="consent_first"
        ),
        CheckConstraint("ended_at IS NULL OR ended_at >= started_at", name="session_order"),
        CheckConstraint(
            "mode = 'on_site' OR (planned_for IS NULL AND signed_at IS NULL)",
            name="remote_neither_planned_nor_signed",
        ),
        CheckConstraint(
            "(signed_at IS NULL) = (signer_name IS NULL)"
            " AND (signed_at IS NULL) = (sheet_sha256 IS NULL)",
            name="signed_completely",
        ),
    )

    id: Mapped[UUID] = mapped_column(primary_key=True)
    ticket_id: Mapped[UUID] = mapped_column(ForeignKey("ticket.id", ondelete="CASCADE"))
    mode: Mapped[Mode] = mapped_column(EnumText(Mode, 10))
    technician: Mapped[str] = mapped_column(ForeignKey("technician.login"))
    technician_name: Mapped[str] = mapped_column(String(120))
    technician_email: Mapped[str] = mapped_column(String(254))
    description: Mapped[str] = mapped_column(SqlText)
    planned_for: Mapped[datetime | None]
    # The sheet: the ticket as it was when the intervention was created.
    reference: Mapped[str] = mapped_column(String(16))
    title: Mapped[str] = mapped_column(String(200))
    category_label: Mapped[str] = mapped_column(String(120))
    site_code: Mapped[str] = mapped_column(String(20))
    site_name: Mapped[str] = mapped_column(String(200))
    # The site's street address from the park, when imaging knows it.
    site_address: Mapped[str | None] = mapped_column(String(300))
    room_code: Mapped[str | None] = mapped_column(String(20))
    asset_tag: Mapped[str | None] = mapped_column(String(40))
    model: Mapped[str | None] = mapped_column(String(200))
    hostname: Mapped[str | None] = mapped_column(String(15))
    hardware_need: Mapped[str | None] = mapped_column(String(1000))
    requester_name: Mapped[str] = mapped_column(String(120))
    requester_phone: Mapped[str | None] = mapped_column(String(30))
    affected_name: Mapped[str | None] = mapped_column(String(120))
    affected_phone: Mapped[str | None] = mapped_column(String(30))
    notified_at: Mapped[datetime]  # the ticket's creation
    # Remote: the user's consent, then the session as the remote tool reported it.
    consent_given_by: Mapped[str | None] = mapped_column(String(120))
    consent_given_at: Mapped[datetime | None]
    consent_how: Mapped[ConsentChannel | None] = mapped_column(EnumText(ConsentChannel, 10))
    session_id: Mapped[str | None] = mapped_column(String(200))
    started_at: Mapped[datetime | None]
    ended_at: Mapped[datetime | None]
    clean_close: Mapped[bool | None]
    user_confirmed_working: Mapped[bool | None]
    # On site, once signed (the image and the stored PDF are in `intervention_signature`).
    signer_name: Mapped[str | None] = mapped_column(String(120))
    signed_at: Mapped[datetime | None]
    sheet_sha256: Mapped[str | None] = mapped_column(String(64))
    created_by: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(server_default=func.now())
    updated_at: Mapped[datetime] = mapped_column(server_default=func.now())
    # The ETag: every UPDATE checks and bumps it.
    version: Mapped[int] = mapped_column(server_default=text("1"))

    __mapper_args__ = {"version_id_col": version, "eager_defaults": True}

    @property
    def location(self) -> str:
        """Where the visit is, as people say it (Localisation)."""
        return f"{self.site_name}, salle {self.room_code}" if self.room_code else self.site_name

    @property
    def whereabouts(self) -> str:
        """Where to drive: the location and the street address (a calendar's LOCATION)."""
        return f"{self.location}, {self.site_address}" if self.site_address else self.location


class InterventionSignature(Base):
    """The signed sheet, written once: the signature re-encoded (a fresh PNG, nothing of
    what was sent but its pixels) and the PDF rendered with it, served byte for byte."""

    __tablename__ = "intervention_signature"
    __table_args__ = (CheckConstraint("width > 0 AND height > 0", name="image_size"),)

    intervention_id: Mapped[UUID] = mapped_column(
        ForeignKey("intervention.id", ondelete="CASCADE"), primary_key=True
    )
    image_png: Mapped[bytes] = mapped_column(LargeBinary)
    width: Mapped[int]
    height: Mapped[int]
    sheet_pdf: Mapped[bytes] = mapped_column(LargeBinary)
    # Who held the tablet (the token's `sub`); the signer is on the intervention.
    signed_by: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(server_default=func.now())
