"""The rules of every producer, and what they do: an incoming event becomes its deliveries
(email from the rules, webhooks from the enabled endpoints that take it); templates are
previewed and test-sent. Builds on webhooks and deliveries."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID
from zoneinfo import ZoneInfo

from jinja2 import TemplateError
from sqlalchemy.ext.asyncio import AsyncSession

from guichet_common.events import Envelope, new_event_id
from guichet_common.http import InvalidInput, NotFound
from notifier.deliveries import service as deliveries
from notifier.deliveries.models import AttemptTrigger, Delivery, StoredEvent
from notifier.rules import garage, notifier, ticketing
from notifier.rules.models import Rule
from notifier.rules.rendering import RenderedEmail, render
from notifier.settings import NotifierSettings
from notifier.webhooks import service as webhooks

# One module per producer; imaging will add its own the same way.
RULES: tuple[Rule, ...] = (*garage.RULES, *ticketing.RULES, *notifier.RULES)
SAMPLES: dict[str, dict[str, Any]] = {**garage.SAMPLES, **ticketing.SAMPLES, **notifier.SAMPLES}


def rules_for(event_type: str) -> list[Rule]:
    return [rule for rule in RULES if rule.matches(event_type)]


def rule_for_template(template: str) -> Rule | None:
    return next((rule for rule in RULES if rule.template == template), None)


def templates() -> list[tuple[str, list[Rule]]]:
    """Each template with the rules that use it, in the order of the rules."""
    names = dict.fromkeys(rule.template for rule in RULES)
    return [(name, [rule for rule in RULES if rule.template == name]) for name in names]


# --- ingestion ---------------------------------------------------------------------------


async def ingest_event(
    session: AsyncSession, envelope: Envelope, settings: NotifierSettings, now: datetime
) -> list[UUID]:
    """Stores the event and its new deliveries in the caller's transaction (the inbox's):
    the unique (event, template, recipient) makes a second ingestion insert nothing."""
    event = StoredEvent(
        id=envelope.id,
        type=envelope.type,
        source=envelope.source,
        subject=envelope.subject,
        time=envelope.time,
        data=envelope.data,
    )
    await deliveries.store_event(session, event)
    wanted = [
        deliveries.new_email(
            event, rule.template, recipient, settings, now, AttemptTrigger.SCHEDULED
        )
        for rule in rules_for(event.type)
        for recipient in dict.fromkeys(
            address.lower() for address in rule.audience.resolve(event.data, settings)
        )
    ]
    wanted += [
        deliveries.new_webhook(event, endpoint.id, now, AttemptTrigger.SCHEDULED)
        for endpoint in await webhooks.endpoints_for(session, event.type)
    ]
    return await deliveries.add(session, wanted)


# --- templates -----------------------------------------------------------------------------


def _rule(name: str) -> Rule:
    rule = rule_for_template(name)
    if rule is None:
        raise NotFound(f"no template {name!r}")
    return rule


def preview(name: str, data: dict[str, Any] | None, zone: ZoneInfo) -> RenderedEmail:
    """The template rendered with `data`, or with its rule's sample payload."""
    rule = _rule(name)
    try:
        return render(name, data if data is not None else SAMPLES[rule.event_type], zone)
    except TemplateError as exc:
        raise InvalidInput(f"the template cannot render this data: {exc}", field="data") from exc


async def send_test(
    session: AsyncSession,
    name: str,
    to: str,
    data: dict[str, Any] | None,
    settings: NotifierSettings,
    now: datetime,
) -> tuple[Delivery, RenderedEmail]:
    """Renders now (a bad template is a 422 here, not a failed delivery), then queues a
    real delivery through the sender, visible in the timeline of subject `TEST-<name>`."""
    rule = _rule(name)
    payload = data if data is not None else SAMPLES[rule.event_type]
    rendered = preview(name, payload, settings.zone)
    event = StoredEvent(
        id=new_event_id(),
        type=rule.event_type,
        source="/services/notifier/test-send",
        subject=f"TEST-{name}",
        time=now,
        data=payload,
    )
    await deliveries.store_event(session, event)
    delivery = deliveries.new_email(event, name, to.lower(), settings, now, AttemptTrigger.MANUAL)
    return await deliveries.add_one(session, delivery), rendered
