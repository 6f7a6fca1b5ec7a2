"""Events ticketing consumes: one Subscription per consumer group (queue `ticketing.<group>`)."""

from __future__ import annotations

from guichet_common.inbox import Subscription
from ticketing.park.handlers import park
from ticketing.settings import TicketingSettings
from ticketing.sla.handlers import sla_subscription


def build_subscriptions(settings: TicketingSettings) -> list[Subscription]:
    """The park's read model, and the SLA (a site's new hours move its clocks' deadlines)."""
    return [park, sla_subscription(settings)]
