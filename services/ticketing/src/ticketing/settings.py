"""Ticketing settings: `TICKETING_*` variables override the shared `GUICHET_*` ones."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field

from guichet_common.settings import CommonSettings

# Its schema, API prefix, API-key scopes and routing keys.
SERVICE = "ticketing"


class TicketingSettings(CommonSettings):
    service_prefix = "TICKETING_"

    # Attachments: the largest file accepted, and how many one ticket may hold.
    attachment_max_bytes: int = 10 * 1024 * 1024
    attachments_per_ticket: int = 50

    # The SLA: a newer school-holiday CSV than the one shipped (`sla.business_time`'s
    # format), how often the worker looks for clocks to warn about or breach, and how many
    # it takes per transaction (it loops until none is due).
    school_holidays_file: Path | None = None
    sla_check_seconds: float = Field(default=30.0, gt=0)
    sla_batch_size: int = Field(default=500, ge=1)

    # Interventions: the signature drawn on the tablet (a PNG data URL: its decoded size and
    # its dimensions), how long a planned visit lasts on the agenda, and how long the sheet's
    # link in the technician's e-mail works (the notifier fetches the PDF through it).
    intervention_signature_max_bytes: int = 200 * 1024
    intervention_signature_max_width: int = 2000
    intervention_signature_max_height: int = 1000
    intervention_visit_minutes: int = 60
    intervention_sheet_link_days: int = 14
