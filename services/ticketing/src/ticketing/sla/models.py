"""The SLA's tables: the targets per priority, each ticket's two clocks and their periods.

A clock (`SlaClock`) keeps what the worker and the API need without replaying its history:
the business time spent before its current running period, since when it runs, and the
deadline and 75 % warning that follow. Its periods (`SlaPeriod`) are that history, kept
only to explain the clock (`GET …/sla`): every span it ran or was paused, and why."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from uuid import UUID

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    ForeignKey,
    ForeignKeyConstraint,
    Identity,
    Index,
    SmallInteger,
    String,
    func,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from guichet_common.db import EnumText
from ticketing.db import Base
from ticketing.tickets.models import Ticket


class ClockKind(StrEnum):
    TTO = "tto"  # time to own: until the ticket is first assigned
    TTR = "ttr"  # time to resolve: until it is solved, paused while pending


CLOCK_LABELS = {
    ClockKind.TTO: "Délai de prise en charge",
    ClockKind.TTR: "Délai de résolution",
}


class ClockEnd(StrEnum):
    """What stopped a clock: its goal reached (assigned, solved) or the ticket cancelled."""

    ASSIGNED = "assigned"
    SOLVED = "solved"
    CANCELLED = "cancelled"


# The share of the target at which a clock warns.
WARNING_SHARE = 0.75


class SlaTarget(Base):
    """The targets of one priority, in business minutes. A replacement rewrites all six
    rows, so they always share one version: the ETag of the whole set."""

    __tablename__ = "sla_target"
    __table_args__ = (
        CheckConstraint("priority BETWEEN 1 AND 6", name="priority_range"),
        CheckConstraint("tto_minutes > 0 AND ttr_minutes >= tto_minutes", name="minutes"),
    )

    priority: Mapped[int] = mapped_column(SmallInteger, primary_key=True, autoincrement=False)
    tto_minutes: Mapped[int]
    ttr_minutes: Mapped[int]
    updated_by: Mapped[str | None] = mapped_column(String(200))
    updated_at: Mapped[datetime] = mapped_column(server_default=func.now())
    version: Mapped[int] = mapped_column(server_default=text("1"))

    __mapper_args__ = {"version_id_col": version, "eager_defaults": True}


class SlaClock(Base):
    """One clock of one ticket. Running: `running_since` is set, and so are `deadline` and
    `warn_at`; paused: neither; stopped: `stopped_at` and `ended_by` are set.

    `warned_deadline` and `breached_deadline` are the deadlines a warning and a breach were
    published for: a deadline is announced once, and a clock whose deadline moves may be
    announced again. `next_check_at` is the next instant the worker has something to say
    (null: nothing), the only column it searches, through a partial index."""

    __tablename__ = "sla_clock"
    __table_args__ = (
        CheckConstraint("elapsed_seconds >= 0", name="elapsed"),
        Index(
            "ix_sla_clock_next_check",
            "next_check_at",
            postgresql_where=text("next_check_at IS NOT NULL"),
        ),
    )

    ticket_id: Mapped[UUID] = mapped_column(
        ForeignKey("ticket.id", ondelete="CASCADE"), primary_key=True
    )
    kind: Mapped[ClockKind] = mapped_column(EnumText(ClockKind, 3), primary_key=True)
    # The priority `target_minutes` was taken for: a priority change retargets the clock.
    priority: Mapped[int] = mapped_column(SmallInteger)
    target_minutes: Mapped[int]
    # Business seconds counted before the current running period (all of them once
    # paused or stopped).
    elapsed_seconds: Mapped[int] = mapped_column(server_default=text("0"))
    running_since: Mapped[datetime | None]
    deadline: Mapped[datetime | None]
    warn_at: Mapped[datetime | None]
    stopped_at: Mapped[datetime | None]
    ended_by: Mapped[ClockEnd | None] = mapped_column(EnumText(ClockEnd, 10))
    warned_deadline: Mapped[datetime | None]
    breached_deadline: Mapped[datetime | None]
    next_check_at: Mapped[datetime | None]

    # Never loaded (`raise`): declared so that a flush writing a new ticket and its clocks
    # together inserts the ticket first.
    ticket: Mapped[Ticket] = relationship(lazy="raise")


class SlaPeriod(Base):
    """A span a clock ran (`paused` false) or was paused, with its reason in French ("en
    cours", "en attente (fournisseur)"). The open one has no `ended_at`; a clock has at
    most one open."""

    __tablename__ = "sla_period"
    __table_args__ = (
        ForeignKeyConstraint(
            ["ticket_id", "kind"],
            ["sla_clock.ticket_id", "sla_clock.kind"],
            name="fk_sla_period_clock",
            ondelete="CASCADE",
        ),
        Index("ix_sla_period_clock", "ticket_id", "kind", "id"),
        Index(
            "uq_sla_period_open",
            "ticket_id",
            "kind",
            unique=True,
            postgresql_where=text("ended_at IS NULL"),
        ),
        CheckConstraint("ended_at IS NULL OR ended_at >= started_at", name="span"),
    )

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    ticket_id: Mapped[UUID]
    kind: Mapped[ClockKind] = mapped_column(EnumText(ClockKind, 3))
    started_at: Mapped[datetime]
    ended_at: Mapped[datetime | None]
    paused: Mapped[bool]
    reason: Mapped[str] = mapped_column(String(120))

    # As `SlaClock.ticket`: its clock is inserted before it in a flush that writes both.
    clock: Mapped[SlaClock] = relationship(lazy="raise")
