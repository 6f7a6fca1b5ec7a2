"""Ticketing settings: `TICKETING_*` variables override the shared `GUICHET_*` ones."""

from __future__ import annotations

from guichet_common.settings import CommonSettings

# Its schema, API prefix, API-key scopes and routing keys.
SERVICE = "ticketing"


class TicketingSettings(CommonSettings):
    service_prefix = "TICKETING_"
