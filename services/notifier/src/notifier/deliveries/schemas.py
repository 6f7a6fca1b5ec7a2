"""Delivery timeline API shapes."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

from pydantic import BaseModel

from notifier.deliveries.models import AttemptOutcome, AttemptTrigger, Channel, DeliveryState


class AttemptOut(BaseModel):
    attempted_at: datetime
    duration_ms: int
    outcome: AttemptOutcome
    trigger: AttemptTrigger
    status_code: int | None
    response: str | None


class DeliveryOut(BaseModel):
    id: UUID
    channel: Channel
    event_id: UUID
    event_type: str
    subject: str | None
    template: str
    recipient: str
    endpoint_id: UUID | None
    state: DeliveryState
    attempts: int
    next_attempt_at: datetime
    message_id: str
    last_error: str | None
    created_at: datetime
    updated_at: datetime
    sent_at: datetime | None
    attempt_log: list[AttemptOut]

    @classmethod
    def build(cls, delivery: Any, attempts: list[Any]) -> DeliveryOut:
        return cls.model_validate(
            {
                **delivery._asdict(),
                "attempt_log": [AttemptOut.model_validate(a._asdict()) for a in attempts],
            }
        )


class DeliveryPage(BaseModel):
    items: list[DeliveryOut]
    next_cursor: str | None = None
