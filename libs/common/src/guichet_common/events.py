"""CloudEvents 1.0 envelope, UUIDv7 ids, payload base class and a type registry."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any, ClassVar
from uuid import UUID

import uuid_utils
from pydantic import BaseModel, ConfigDict, Field

from guichet_common.logging import causation_id_var, correlation_id_var

EVENT_TYPE_PATTERN = re.compile(
    r"^[a-z][a-z0-9_]*\.[a-z][a-z0-9_]*\.[a-z][a-z0-9_]*\.v[1-9][0-9]*$"
)


def new_event_id() -> UUID:
    """UUIDv7: unique everywhere and sortable by creation time."""
    return UUID(str(uuid_utils.uuid7()))


def utcnow() -> datetime:
    return datetime.now(UTC)


class Event(BaseModel):
    """A published payload. Subclasses set `event_type` (= routing key) and are frozen.

    Consumers parse with `extra="ignore"`: a producer may add fields without breaking them.
    """

    model_config = ConfigDict(frozen=True, extra="ignore")

    event_type: ClassVar[str]

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        event_type = cls.__dict__.get("event_type")
        if event_type is not None and not EVENT_TYPE_PATTERN.match(event_type):
            raise ValueError(
                f"{cls.__name__}.event_type {event_type!r} is not "
                "<service>.<aggregate>.<past_tense_verb>.v<major>"
            )


class Envelope(BaseModel):
    """CloudEvents 1.0, structured JSON mode, with correlation/causation extensions."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    specversion: str = "1.0"
    id: UUID
    source: str
    type: str = Field(pattern=EVENT_TYPE_PATTERN.pattern)
    subject: str | None = None
    time: datetime
    datacontenttype: str = "application/json"
    correlationid: str | None = None
    causationid: str | None = None
    data: dict[str, Any]

    def to_json(self) -> bytes:
        return self.model_dump_json(exclude_none=True).encode()


def build_envelope(
    *,
    service: str,
    event: Event,
    subject: str | None = None,
    causation_id: str | None = None,
    correlation_id: str | None = None,
) -> Envelope:
    return Envelope(
        id=new_event_id(),
        source=f"/services/{service}",
        type=event.event_type,
        subject=subject,
        time=utcnow(),
        correlationid=correlation_id or correlation_id_var.get(),
        causationid=causation_id or causation_id_var.get(),
        data=event.model_dump(mode="json"),
    )


class EventRegistry:
    """Maps event type strings to payload models (what a service publishes or understands)."""

    def __init__(self) -> None:
        self._models: dict[str, type[Event]] = {}

    def register(self, model: type[Event]) -> type[Event]:
        existing = self._models.get(model.event_type)
        if existing is not None and existing is not model:
            raise ValueError(f"event type {model.event_type} registered twice")
        self._models[model.event_type] = model
        return model

    def models(self) -> list[type[Event]]:
        """Sorted by event type."""
        return [self._models[t] for t in sorted(self._models)]
