from __future__ import annotations

from pathlib import Path

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


async def test_a_malformed_school_holiday_file_stops_the_start(
    tmp_path: Path, migrated_database_url: str
) -> None:
    wrong = tmp_path / "calendrier.csv"
    wrong.write_text(
        "date,vacances_zone_a,vacances_zone_b,vacances_zone_c,nom_vacances\n"
        "2027-02-20,peut-être,True,False,Vacances d'hiver\n",
        encoding="utf-8",
    )
    app = create_app(
        TicketingSettings(database_url=migrated_database_url, school_holidays_file=wrong)
    )
    with pytest.raises(ValueError, match=r"calendrier\.csv"):
        async with app.router.lifespan_context(app):
            pass
