"""Ticketing settings: `TICKETING_*` variables override the shared `GUICHET_*` ones."""

from __future__ import annotations

from guichet_common.settings import CommonSettings


class TicketingSettings(CommonSettings):
    service_prefix = "TICKETING_"
