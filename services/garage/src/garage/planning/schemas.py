"""Timetable slots, workshop sessions and generation payloads."""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from typing import Annotated, TypeVar
from uuid import UUID

from pydantic import (
    AfterValidator,
    AwareDatetime,
    BaseModel,
    ConfigDict,
    Field,
    ValidationInfo,
    field_validator,
)

from garage.planning.models import TimetableSlot, WorkshopSession
from guichet_common.text import Text

# The dates the garage plans within: far enough for any school year, and every moment in
# them converts between time zones without leaving the calendar's range.
FIRST_DAY = date(2000, 1, 1)
LAST_DAY = date(2100, 12, 31)
MAX_GENERATION_DAYS = 400
WEEKDAY_LABELS = ("lundi", "mardi", "mercredi", "jeudi", "vendredi")


def _within_calendar(value: date) -> date:
    if not FIRST_DAY <= value <= LAST_DAY:
        raise ValueError(f"must be between {FIRST_DAY} and {LAST_DAY}")
    return value


def _local(value: time) -> time:
    if value.tzinfo is not None:
        raise ValueError("a local wall-clock time of the garage, without offset")
    return value


def _moment_within_calendar(value: datetime) -> datetime:
    _within_calendar(value.date())
    return value


T = TypeVar("T")


def _not_null(value: T | None) -> T:
    if value is None:
        raise ValueError("cannot be null; leave it out to keep it")
    return value


PlanDate = Annotated[date, AfterValidator(_within_calendar)]
LocalTime = Annotated[time, AfterValidator(_local)]
PlanMoment = Annotated[AwareDatetime, AfterValidator(_moment_within_calendar)]
# A bound of a query: without an offset, the garage's local time.
PlanBound = Annotated[datetime, AfterValidator(_moment_within_calendar)]


# --- timetable slots ---------------------------------------------------------------------


class SlotIn(BaseModel):
    """A weekly slot of the teaching timetable, in the garage's local time."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    weekday: int = Field(
        ge=0, le=4, description="0 = Monday … 4 = Friday (the workshop is closed at week-ends)"
    )
    start_time: LocalTime = Field(description="Local wall-clock time, `08:00`")
    end_time: LocalTime = Field(description="Local wall-clock time, after `start_time`")
    student_group: Text = Field(min_length=1, max_length=60)
    teacher: Text = Field(min_length=1, max_length=100)
    bays: int = Field(ge=1, le=20)
    valid_from: PlanDate | None = Field(default=None, description="First date it applies to")
    valid_until: PlanDate | None = Field(default=None, description="Last date it applies to")

    @field_validator("end_time")
    @classmethod
    def _ends_after_start(cls, value: time, info: ValidationInfo) -> time:
        start = info.data.get("start_time")
        if start is not None and value <= start:
            raise ValueError("must be after start_time")
        return value

    @field_validator("valid_until")
    @classmethod
    def _validity_ordered(cls, value: date | None, info: ValidationInfo) -> date | None:
        start = info.data.get("valid_from")
        if value is not None and start is not None and value < start:
            raise ValueError("must not be before valid_from")
        return value


class SlotPatch(BaseModel):
    """Only the fields sent change (`valid_from` / `valid_until` null: open-ended). Sessions
    already generated stay as they are; the change applies to the next generation."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    weekday: int | None = Field(default=None, ge=0, le=4)
    start_time: LocalTime | None = None
    end_time: LocalTime | None = None
    student_group: Text | None = Field(default=None, min_length=1, max_length=60)
    teacher: Text | None = Field(default=None, min_length=1, max_length=100)
    bays: int | None = Field(default=None, ge=1, le=20)
    valid_from: PlanDate | None = None
    valid_until: PlanDate | None = None

    @field_validator("weekday", "start_time", "end_time", "student_group", "teacher", "bays")
    @classmethod
    def _required(cls, value: object) -> object:
        return _not_null(value)


class SlotOut(BaseModel):
    id: UUID
    weekday: int
    weekday_label: str
    start_time: time
    end_time: time
    student_group: str
    teacher: str
    bays: int
    valid_from: date | None
    valid_until: date | None
    created_at: datetime

    @classmethod
    def of(cls, slot: TimetableSlot) -> SlotOut:
        return cls(
            id=slot.id,
            weekday=slot.weekday,
            weekday_label=WEEKDAY_LABELS[slot.weekday],
            start_time=slot.start_time,
            end_time=slot.end_time,
            student_group=slot.student_group,
            teacher=slot.teacher,
            bays=slot.bays,
            valid_from=slot.valid_from,
            valid_until=slot.valid_until,
            created_at=slot.created_at,
        )


# --- generation ----------------------------------------------------------------------------


class GenerateIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    start: PlanDate = Field(description="First date to generate sessions for")
    end: PlanDate = Field(
        description=f"Last date (included), at most {MAX_GENERATION_DAYS} days from `start`"
    )

    @field_validator("end")
    @classmethod
    def _range(cls, value: date, info: ValidationInfo) -> date:
        start = info.data.get("start")
        if start is None:
            return value
        if value < start:
            raise ValueError("must not be before start")
        if (value - start).days + 1 > MAX_GENERATION_DAYS:
            raise ValueError(f"at most {MAX_GENERATION_DAYS} days from start, start included")
        return value


class SkippedDay(BaseModel):
    date: date
    reason: str = Field(description="Why the workshop is closed, in French")


class GenerateOut(BaseModel):
    created: int = Field(description="Sessions created now")
    already_existed: int = Field(
        description="Sessions generated before (edited or cancelled ones included), left as is"
    )
    skipped: list[SkippedDay] = Field(
        description="Closed dates on which a slot falls, once each, in date order"
    )


# --- workshop sessions ---------------------------------------------------------------------


class SessionIn(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    starts_at: PlanMoment
    ends_at: PlanMoment = Field(description="After `starts_at`, the same local day")
    bays: int = Field(ge=1, le=20)
    teacher: Text = Field(min_length=1, max_length=100)
    student_group: Text = Field(min_length=1, max_length=60)

    @field_validator("ends_at")
    @classmethod
    def _ends_after_start(cls, value: datetime, info: ValidationInfo) -> datetime:
        start = info.data.get("starts_at")
        if start is not None and value <= start:
            raise ValueError("must be after starts_at")
        return value


class SessionPatch(BaseModel):
    """Only the fields sent change; the session keeps its timetable link."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    starts_at: PlanMoment | None = None
    ends_at: PlanMoment | None = None
    bays: int | None = Field(default=None, ge=1, le=20)
    teacher: Text | None = Field(default=None, min_length=1, max_length=100)
    student_group: Text | None = Field(default=None, min_length=1, max_length=60)

    @field_validator("starts_at", "ends_at", "bays", "teacher", "student_group")
    @classmethod
    def _required(cls, value: object) -> object:
        return _not_null(value)


class SessionOut(BaseModel):
    id: UUID
    starts_at: datetime
    ends_at: datetime
    bays: int
    booked: int
    teacher: str
    student_group: str
    slot_id: UUID | None = Field(description="The timetable slot it was generated from")
    slot_date: date | None

    @classmethod
    def of(cls, session: WorkshopSession, booked: int) -> SessionOut:
        return cls(
            id=session.id,
            # As stored: one representation (UTC) whether written or read back.
            starts_at=session.starts_at.astimezone(UTC),
            ends_at=session.ends_at.astimezone(UTC),
            bays=session.bays,
            booked=booked,
            teacher=session.teacher,
            student_group=session.student_group,
            slot_id=session.slot_id,
            slot_date=session.slot_date,
        )


class CalendarLink(BaseModel):
    url: str
