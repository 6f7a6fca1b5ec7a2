"""Delivery timeline API shapes."""

from __future__ import annotations

import re
from datetime import datetime
from uuid import UUID

from pydantic import BaseModel, ConfigDict

from notifier.deliveries.models import (
    AttemptOutcome,
    AttemptTrigger,
    Channel,
    DeliveryState,
    DeliveryWithAttempts,
)


def masked_address(address: str) -> str:
    """`jeanne.martin@example.org` → `***@example.org`: the domain, for diagnosing a
    provider; not the person."""
    _, at, domain = address.rpartition("@")
    return f"***@{domain}" if at else "***"


def _without(address: str, text: str | None) -> str | None:
    """`text` (an SMTP reply, an error) with the address masked wherever it appears."""
    if text is None:
        return None
    return re.sub(re.escape(address), masked_address(address), text, flags=re.IGNORECASE)


class AttemptOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

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
    def of(cls, found: DeliveryWithAttempts) -> DeliveryOut:
        delivery = found.delivery
        return cls(
            id=delivery.id,
            channel=delivery.channel,
            event_id=delivery.event_id,
            event_type=delivery.event_type,
            subject=delivery.subject,
            template=delivery.template,
            recipient=delivery.recipient,
            endpoint_id=delivery.endpoint_id,
            state=delivery.state,
            attempts=delivery.attempts,
            next_attempt_at=delivery.next_attempt_at,
            message_id=delivery.message_id,
            last_error=delivery.last_error,
            created_at=delivery.created_at,
            updated_at=delivery.updated_at,
            sent_at=delivery.sent_at,
            attempt_log=[AttemptOut.model_validate(attempt) for attempt in found.attempts],
        )

    def masked(self) -> DeliveryOut:
        """For readers without need to know the person (ops, API keys): an e-mail's
        recipient is masked, in the replies and errors that quote it too."""
        if self.channel != Channel.EMAIL:
            return self
        address = self.recipient
        return self.model_copy(
            update={
                "recipient": masked_address(address),
                "last_error": _without(address, self.last_error),
                "attempt_log": [
                    attempt.model_copy(update={"response": _without(address, attempt.response)})
                    for attempt in self.attempt_log
                ],
            }
        )
