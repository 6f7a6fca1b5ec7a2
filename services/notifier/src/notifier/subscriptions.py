"""Events notifier consumes: one Subscription per consumer group (queue `notifier.<group>`)."""

from __future__ import annotations

from guichet_common.inbox import Subscription
from notifier.rules import garage, ticketing
from notifier.rules.handlers import event_handler
from notifier.settings import NotifierSettings

# Every service's events: rules and webhook endpoints pick what they want. The events the
# rules rely on are validated against their consumer models; any other type goes to the
# fallback as it is.
PATTERNS = ("garage.#", "ticketing.#", "imaging.#", "notifier.#")


def build_subscriptions(settings: NotifierSettings) -> list[Subscription]:
    handler = event_handler(settings)
    subscription = Subscription(group="events", patterns=PATTERNS, fallback=handler)
    for model in (*garage.CONSUMED, *ticketing.CONSUMED):
        subscription.on(model)(handler)
    return [subscription]
