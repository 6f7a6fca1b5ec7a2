"""What the SLA's API accepts and returns, and imaging's event as the SLA reads it."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    Strict,
    ValidationInfo,
    field_validator,
)

from guichet_common.events import Event
from ticketing.sla.models import CLOCK_LABELS, ClockEnd, ClockKind, SlaClock, SlaTarget
from ticketing.tickets.models import LEVEL_LABELS, Ticket

PRIORITIES = tuple(range(1, 7))
# Ten weeks of 40 business hours: far beyond any promise a service desk makes.
MAX_MINUTES = 10 * 40 * 60

Minutes = Annotated[int, Strict(), Field(ge=1, le=MAX_MINUTES, description="Business minutes")]


# --- the targets -----------------------------------------------------------------------------


class TargetIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    priority: Annotated[int, Strict(), Field(ge=1, le=6)]
    tto_minutes: Minutes = Field(description="Time to own, in business minutes")
    ttr_minutes: Minutes = Field(description="Time to resolve, in business minutes")

    @field_validator("ttr_minutes")
    @classmethod
    def _resolve_after_owning(cls, value: int, info: ValidationInfo) -> int:
        owning = info.data.get("tto_minutes")
        if owning is not None and value < owning:
            raise ValueError(f"at least the time to own ({owning} minutes)")
        return value


def _one_per_priority(targets: list[TargetIn]) -> list[TargetIn]:
    given = sorted(target.priority for target in targets)
    if given != list(PRIORITIES):
        raise ValueError("one target for each priority, 1 to 6, each once")
    return targets


class TargetsIn(BaseModel):
    """The whole set: one target per priority, 1 to 6; a ticket owned or resolved later
    than its target breaches it. Time to resolve is at least time to own."""

    model_config = ConfigDict(extra="forbid")

    targets: Annotated[
        list[TargetIn], Field(min_length=6, max_length=6), AfterValidator(_one_per_priority)
    ]


class TargetOut(BaseModel):
    priority: int
    priority_label: str
    tto_minutes: int
    ttr_minutes: int

    @classmethod
    def of(cls, target: SlaTarget) -> TargetOut:
        return cls(
            priority=target.priority,
            priority_label=LEVEL_LABELS[target.priority],
            tto_minutes=target.tto_minutes,
            ttr_minutes=target.ttr_minutes,
        )


class TargetsOut(BaseModel):
    targets: list[TargetOut] = Field(description="By priority, 1 to 6")
    updated_by: str | None = Field(description="Who last replaced them (null: the defaults)")
    updated_at: datetime

    @classmethod
    def of(cls, targets: list[SlaTarget]) -> TargetsOut:
        latest = max(targets, key=lambda target: target.updated_at)
        return cls(
            targets=[TargetOut.of(target) for target in targets],
            updated_by=latest.updated_by,
            updated_at=latest.updated_at,
        )


# --- a ticket's clocks, explained ------------------------------------------------------------

ClockStatus = Literal["running", "paused", "stopped", "met", "breached"]
STATUS_LABELS: dict[ClockStatus, str] = {
    "running": "En cours",
    "paused": "En pause",
    "stopped": "Arrêté (ticket annulé)",
    "met": "Respecté",
    "breached": "Dépassé",
}


class SegmentOut(BaseModel):
    """A span of the clock's life and why it counted or not: opening hours, a lunch break,
    a week-end, a public or school holiday, a pause."""

    start: datetime
    end: datetime
    counted: bool
    reason: str = Field(description="In French: « heures d'ouverture », « en attente (…) »…")
    seconds: int

    @classmethod
    def of(cls, start: datetime, end: datetime, *, counted: bool, reason: str) -> SegmentOut:
        return cls(
            start=start.astimezone(UTC),
            end=end.astimezone(UTC),
            counted=counted,
            reason=reason,
            seconds=round((end - start).total_seconds()),
        )


class ClockOut(BaseModel):
    kind: ClockKind
    label: str
    status: ClockStatus = Field(
        description="running or paused (within its target), met (reached in time), "
        "breached (past its target, still counting or not), stopped (the ticket was "
        "cancelled in time)"
    )
    status_label: str
    running: bool
    target_minutes: int
    started_at: datetime
    deadline: datetime | None = Field(description="While it runs")
    warn_at: datetime | None = Field(description="75 % of the target, while it runs")
    stopped_at: datetime | None
    elapsed_seconds: int = Field(description="Business time counted until now or its stop")
    elapsed_minutes: int
    remaining_minutes: int
    overdue_minutes: int
    segments: list[SegmentOut] = Field(description="From the start to now, or to its stop")

    @classmethod
    def of(
        cls,
        clock: SlaClock,
        started_at: datetime,
        segments: list[SegmentOut],
        elapsed_seconds: int,
        now: datetime,
    ) -> ClockOut:
        target = clock.target_minutes * 60
        status = _status(clock, elapsed_seconds, now)
        return cls(
            kind=clock.kind,
            label=CLOCK_LABELS[clock.kind],
            status=status,
            status_label=STATUS_LABELS[status],
            running=clock.running_since is not None,
            target_minutes=clock.target_minutes,
            started_at=started_at,
            deadline=clock.deadline,
            warn_at=clock.warn_at,
            stopped_at=clock.stopped_at,
            elapsed_seconds=elapsed_seconds,
            elapsed_minutes=elapsed_seconds // 60,
            remaining_minutes=max(target - elapsed_seconds, 0) // 60,
            overdue_minutes=max(elapsed_seconds - target, 0) // 60,
            segments=segments,
        )


def _status(clock: SlaClock, elapsed_seconds: int, now: datetime) -> ClockStatus:
    if clock.deadline is not None:  # running: the worker breaches it at its deadline
        return "breached" if now >= clock.deadline else "running"
    if elapsed_seconds > clock.target_minutes * 60:
        return "breached"
    if clock.stopped_at is None:
        return "paused"
    return "stopped" if clock.ended_by is ClockEnd.CANCELLED else "met"


class SlaOut(BaseModel):
    reference: str
    priority: int
    priority_label: str
    targets: TargetOut = Field(description="The targets of the ticket's priority now")
    clocks: list[ClockOut] = Field(description="Time to own, then time to resolve")
    school_calendar_ends: date = Field(description="The last day of the school holidays known")
    school_calendar_note: str | None = Field(
        description="Said when a clock counts past the school holidays known"
    )

    @classmethod
    def of(
        cls,
        ticket: Ticket,
        target: SlaTarget,
        clocks: list[ClockOut],
        *,
        school_calendar_ends: date,
        beyond: datetime,
    ) -> SlaOut:
        """`beyond`: the first instant the school holidays known no longer cover."""
        counts_beyond = any(
            (clock.deadline is not None and clock.deadline > beyond)
            or any(segment.end > beyond for segment in clock.segments)
            for clock in clocks
        )
        return cls(
            reference=ticket.reference,
            priority=ticket.priority,
            priority_label=LEVEL_LABELS[ticket.priority],
            targets=TargetOut.of(target),
            clocks=clocks,
            school_calendar_ends=school_calendar_ends,
            school_calendar_note=(
                f"Les vacances scolaires connues s'arrêtent au {school_calendar_ends:%d/%m/%Y} : "
                "au-delà, les jours de classe comptent comme des jours ouvrés."
                if counts_beyond
                else None
            ),
        )


# --- imaging's event --------------------------------------------------------------------------


class SiteUpdatedV1(Event):
    """A site's calendar as imaging has it now (opening hours as the park stores them)."""

    event_type = "imaging.site.updated.v1"
    site_code: str
    version: int
    department: str | None
    zone: str
    opening_hours: list[dict[str, Any]]
