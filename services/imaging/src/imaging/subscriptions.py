"""Events imaging consumes: one Subscription per consumer group (queue `imaging.<group>`)."""

from __future__ import annotations

from guichet_common.inbox import Subscription

subscriptions: list[Subscription] = []
