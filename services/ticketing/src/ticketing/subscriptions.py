"""Events ticketing consumes: one Subscription per consumer group (queue `ticketing.<group>`)."""

from __future__ import annotations

from guichet_common.inbox import Subscription
from ticketing.park.handlers import park

subscriptions: list[Subscription] = [park]
