"""Template preview and test-send shapes."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from pydantic import BaseModel, EmailStr, Field

from notifier.rules.models import Rule


class TemplateInfo(BaseModel):
    name: str
    event_types: list[str]
    audiences: list[str] = Field(
        description="Who receives it, e.g. `payload field client_email`, "
        "`configured list garage_teachers` (NOTIFIER_GARAGE_TEACHERS)."
    )

    @classmethod
    def of(cls, name: str, rules: list[Rule]) -> TemplateInfo:
        return cls(
            name=name,
            event_types=[rule.event_type for rule in rules],
            audiences=[rule.audience.describe() for rule in rules],
        )


class PreviewRequest(BaseModel):
    data: dict[str, Any] | None = Field(
        default=None, description="Event payload to render; the rule's sample by default."
    )


class PreviewOut(BaseModel):
    subject: str
    text: str
    html: str


class TestSendRequest(BaseModel):
    to: EmailStr
    data: dict[str, Any] | None = None


class TestSendOut(BaseModel):
    delivery_id: UUID
    subject: str
