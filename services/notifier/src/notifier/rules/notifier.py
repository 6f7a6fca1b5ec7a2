"""Rules and sample payloads of the notifier's own events."""

from __future__ import annotations

from typing import Any

from notifier.rules.models import PayloadAddress, Rule

RULES: tuple[Rule, ...] = (
    Rule(
        "notifier.webhook_endpoint.disabled.v1",
        "webhook_endpoint_disabled",
        PayloadAddress("owner_email"),
    ),
)

# One sample payload per event type a rule handles, shaped like `notifier.events`.
SAMPLES: dict[str, dict[str, Any]] = {
    "notifier.webhook_endpoint.disabled.v1": {
        "endpoint_id": "0193a8f0-0000-7000-8000-000000000000",
        "url": "https://exemple.fr/webhooks/guichet",
        "owner_email": "admin@example.org",
        "reason": "échecs continus depuis 5 jours",
        "disabled_at": "2026-11-28T03:00:00+01:00",
    },
}
