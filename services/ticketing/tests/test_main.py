from __future__ import annotations

import pytest

from guichet_common.testing.plugin import assert_app_ready
from ticketing.main import create_app
from ticketing.settings import TicketingSettings

pytestmark = pytest.mark.integration


async def test_api_is_ready_with_database_and_broker(
    migrated_database_url: str, amqp_url: str
) -> None:
    await assert_app_ready(
        create_app(TicketingSettings(database_url=migrated_database_url, amqp_url=amqp_url))
    )
