"""Fixtures of the plumbing's own tests."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from guichet_common.messaging.rabbitmq import RabbitBus


@pytest.fixture
async def rabbit(amqp_url: str) -> AsyncIterator[RabbitBus]:
    """A connected bus on the test broker, closed afterwards."""
    bus = RabbitBus(amqp_url, name="plumbing-tests")
    await bus.connect()
    yield bus
    await bus.close()
