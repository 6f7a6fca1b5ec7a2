"""Rules as data: event type → template → audience. A new event needs a rule and a template
pair, nothing else. The sample payloads feed previews and the test that renders every rule."""

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


CLIENT = PayloadAddress("client_email")
GARAGE_TEACHERS = ConfiguredList("garage_teachers")

RULES: tuple[Rule, ...] = (
    Rule("garage.request.submitted.v1", "garage_request_submitted", CLIENT),
    Rule("garage.quote.issued.v1", "garage_quote_issued", CLIENT, attach_pdf_from="pdf_url"),
    Rule("garage.quote.accepted.v1", "garage_quote_accepted_client", CLIENT),
    Rule("garage.quote.accepted.v1", "garage_quote_accepted_teachers", GARAGE_TEACHERS),
    Rule("garage.quote.refused.v1", "garage_quote_refused_client", CLIENT),
    Rule("garage.quote.refused.v1", "garage_quote_refused_teachers", GARAGE_TEACHERS),
    Rule("garage.request.scheduled.v1", "garage_request_scheduled", CLIENT),
    Rule("garage.request.ready_for_pickup.v1", "garage_request_ready_for_pickup", CLIENT),
    Rule("garage.deadline.missed.v1", "garage_deadline_missed", GARAGE_TEACHERS),
    Rule(
        "notifier.webhook_endpoint.disabled.v1",
        "webhook_endpoint_disabled",
        PayloadAddress("owner_email"),
    ),
)


def rules_for(event_type: str) -> list[Rule]:
    return [rule for rule in RULES if rule.matches(event_type)]


def rule_for_template(template: str) -> Rule | None:
    return next((rule for rule in RULES if rule.template == template), None)


_CLIENT = {
    "request_number": "DEM-2026-0021",
    "client_email": "camille.martin@example.org",
    "client_name": "Camille Martin",
}
_TRACKING = "http://127.0.0.1:8000/garage/suivi/exemple-jeton"

# One sample payload per event type a rule handles, shaped like the producer's contract.
SAMPLES: dict[str, dict[str, Any]] = {
    "garage.request.submitted.v1": {
        **_CLIENT,
        "plate": "AB-123-CD",
        "make": "Renault",
        "model": "Clio",
        "service_type": "brakes",
        "urgency": "medium",
        "description": "Bruit au freinage à l'avant.",
        "submitted_at": "2026-11-23T09:30:00+01:00",
        "tracking_url": _TRACKING,
    },
    "garage.quote.issued.v1": {
        **_CLIENT,
        "quote_number": "DEV-2026-0017",
        "version": 1,
        "total_excl_tax": "1028.80",
        "total_vat": "205.76",
        "total_incl_tax": "1234.56",
        "valid_until": "2026-12-23",
        "decision_url": "http://127.0.0.1:8000/garage/devis/exemple-jeton",
        "pdf_url": "http://127.0.0.1:8000/garage/devis/exemple-jeton.pdf",
        "issued_at": "2026-11-23T10:00:00+01:00",
    },
    "garage.quote.accepted.v1": {
        **_CLIENT,
        "quote_number": "DEV-2026-0017",
        "version": 1,
        "decided_at": "2026-11-24T18:12:00+01:00",
        "signer_name": "Camille Martin",
        "document_sha256": "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08",
    },
    "garage.quote.refused.v1": {
        **_CLIENT,
        "quote_number": "DEV-2026-0017",
        "version": 1,
        "decided_at": "2026-11-24T18:12:00+01:00",
        "signer_name": "Camille Martin",
        "document_sha256": "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08",
        "reason": "Trop cher pour moi.",
    },
    "garage.request.scheduled.v1": {
        **_CLIENT,
        "sessions": [
            {
                "starts_at": "2026-11-30T08:00:00+01:00",
                "ends_at": "2026-11-30T12:00:00+01:00",
                "bay": "Pont 2",
            },
            {
                "starts_at": "2026-12-01T14:00:00+01:00",
                "ends_at": "2026-12-01T17:00:00+01:00",
                "bay": None,
            },
        ],
        "tracking_url": _TRACKING,
    },
    "garage.request.ready_for_pickup.v1": {
        **_CLIENT,
        "plate": "AB-123-CD",
        "tracking_url": _TRACKING,
    },
    "garage.deadline.missed.v1": {
        **_CLIENT,
        "deadline": "quote",
        "due_at": "2026-11-25T09:30:00+01:00",
    },
    "notifier.webhook_endpoint.disabled.v1": {
        "endpoint_id": "0193a8f0-0000-7000-8000-000000000000",
        "url": "https://exemple.fr/webhooks/guichet",
        "owner_email": "admin@example.org",
        "reason": "échecs continus depuis 5 jours",
        "disabled_at": "2026-11-28T03:00:00+01:00",
    },
}
