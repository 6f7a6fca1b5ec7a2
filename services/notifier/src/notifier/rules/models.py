"""What a rule is: an event type, the template it renders, the audience it goes to.
Rules are data (one module per producer: `garage.py`, `notifier.py`), not tables."""

from __future__ import annotations

from dataclasses import dataclass
from fnmatch import fnmatchcase
from typing import Any

from notifier.settings import NotifierSettings


@dataclass(frozen=True)
class PayloadAddress:
    """The address is a field of the event (e.g. the garage client's `client_email`)."""

    field: str

    def describe(self) -> str:
        return f"payload field {self.field}"

    def resolve(self, data: dict[str, Any], _settings: NotifierSettings) -> list[str]:
        value = data.get(self.field)
        return [value] if isinstance(value, str) and "@" in value else []


@dataclass(frozen=True)
class ConfiguredList:
    """A list kept in configuration (e.g. `NOTIFIER_GARAGE_TEACHERS`)."""

    setting: str

    def describe(self) -> str:
        return f"configured list {self.setting}"

    def resolve(self, _data: dict[str, Any], settings: NotifierSettings) -> list[str]:
        return list(getattr(settings, self.setting))


Audience = PayloadAddress | ConfiguredList


@dataclass(frozen=True)
class Rule:
    event_type: str  # exact type or a shell-style pattern (`garage.quote.*`)
    template: str
    audience: Audience
    attach_pdf_from: str | None = None  # payload field with a URL fetched at send time

    def matches(self, event_type: str) -> bool:
        return fnmatchcase(event_type, self.event_type)
