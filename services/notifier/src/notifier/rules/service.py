"""Previews and test sends of the rule templates."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from jinja2 import TemplateError
from sqlalchemy.ext.asyncio import AsyncSession

from guichet_common.events import new_event_id
from guichet_common.http import InvalidInput, NotFound
from notifier.deliveries import repository as deliveries_repository
from notifier.deliveries.models import AttemptTrigger, Channel, DeliveryState
from notifier.deliveries.service import new_message_id
from notifier.rules.catalogue import RULES, SAMPLES, Rule, rule_for_template
from notifier.rules.rendering import RenderedEmail, render
from notifier.settings import NotifierSettings


def templates() -> list[tuple[str, list[Rule]]]:
    names = dict.fromkeys(rule.template for rule in RULES)
    return [(name, [r for r in RULES if r.template == name]) for name in names]


def _rule(name: str) -> Rule:
    rule = rule_for_template(name)
    if rule is None:
        raise NotFound(f"no template {name!r}")
    return rule


def preview(name: str, data: dict[str, Any] | None) -> RenderedEmail:
    rule = _rule(name)
    try:
        return render(name, data if data is not None else SAMPLES[rule.event_type])
    except TemplateError as exc:
        raise InvalidInput(f"the template cannot render this data: {exc}", field="data") from exc


async def send_test(
    session: AsyncSession,
    name: str,
    to: str,
    data: dict[str, Any] | None,
    settings: NotifierSettings,
    now: datetime,
) -> tuple[Any, RenderedEmail]:
    """Renders now (a bad template is a 422 here, not a failed delivery), then queues a
    real delivery through the sender, visible in the timeline of subject `TEST-<name>`."""
    rule = _rule(name)
    payload = data if data is not None else SAMPLES[rule.event_type]
    rendered = preview(name, payload)
    event_id = new_event_id()
    subject = f"TEST-{name}"
    await deliveries_repository.store_event(
        session,
        {
            "id": event_id,
            "type": rule.event_type,
            "source": "/services/notifier/test-send",
            "subject": subject,
            "time": now,
            "data": payload,
        },
    )
    delivery_id = new_event_id()
    await deliveries_repository.insert_deliveries(
        session,
        [
            {
                "id": delivery_id,
                "channel": Channel.EMAIL,
                "event_id": event_id,
                "event_type": rule.event_type,
                "subject": subject,
                "template": name,
                "recipient": to.lower(),
                "endpoint_id": None,
                "state": DeliveryState.PENDING,
                "next_attempt_at": now,
                "next_trigger": AttemptTrigger.MANUAL,
                "message_id": new_message_id(settings),
                "created_at": now,
                "updated_at": now,
            }
        ],
    )
    return delivery_id, rendered
