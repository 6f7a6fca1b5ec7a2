"""Ticketing settings: `TICKETING_*` variables override the shared `GUICHET_*` ones."""

from __future__ import annotations

from guichet_common.settings import CommonSettings

# Its schema, API prefix, API-key scopes and routing keys.
SERVICE = "ticketing"


class TicketingSettings(CommonSettings):
    service_prefix = "TICKETING_"

    # Attachments: the largest file accepted, and how many one ticket may hold.
    attachment_max_bytes: int = 10 * 1024 * 1024
    attachments_per_ticket: int = 50
