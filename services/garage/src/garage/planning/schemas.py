"""Workshop session payloads."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, model_validator

from garage.planning.models import WorkshopSession
from guichet_common.text import Text


class SessionIn(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    starts_at: AwareDatetime
    ends_at: AwareDatetime
    bays: int = Field(ge=1, le=20)
    teacher: Text = Field(min_length=1, max_length=100)
    student_group: Text = Field(min_length=1, max_length=60)

    @model_validator(mode="after")
    def _order(self) -> SessionIn:
        if self.ends_at <= self.starts_at:
            raise ValueError("ends_at must be after starts_at")
        if self.starts_at.date() != self.ends_at.date():
            raise ValueError("a workshop session fits in one day")
        return self


class SessionOut(BaseModel):
    id: UUID
    starts_at: datetime
    ends_at: datetime
    bays: int
    booked: int
    teacher: str
    student_group: str

    @classmethod
    def of(cls, session: WorkshopSession, booked: int) -> SessionOut:
        return cls(
            id=session.id,
            starts_at=session.starts_at,
            ends_at=session.ends_at,
            bays=session.bays,
            booked=booked,
            teacher=session.teacher,
            student_group=session.student_group,
        )


class CalendarLink(BaseModel):
    url: str
