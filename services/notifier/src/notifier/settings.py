"""Notifier settings: `NOTIFIER_*` variables override the shared `GUICHET_*` ones."""

from __future__ import annotations

from typing import Annotated

from pydantic import field_validator
from pydantic_settings import NoDecode

from guichet_common.settings import CommonSettings

# Its schema, API prefix, API-key scopes and routing keys.
SERVICE = "notifier"


class NotifierSettings(CommonSettings):
    service_prefix = "NOTIFIER_"

    mail_from: str = "Guichet <guichet@guichet.invalid>"
    mail_reply_to: str | None = None
    # Audiences kept as configuration: `NOTIFIER_GARAGE_TEACHERS=a@x.fr,b@x.fr`.
    garage_teachers: Annotated[tuple[str, ...], NoDecode] = ()
    # Told of every SLA breach: `NOTIFIER_TICKETING_SUPERVISORS=a@x.fr,b@x.fr`.
    ticketing_supervisors: Annotated[tuple[str, ...], NoDecode] = ()
    webhooks_allow_private: bool = False
    webhook_timeout_seconds: float = 15.0
    webhook_secret_overlap_hours: float = 24.0
    webhook_disable_after_days: float = 5.0
    # Deliveries, attempts and stored event payloads (personal data) are kept this long.
    retention_days: int = 90
    # An e-mail waits this many attempts for its attachment (the quote PDF), then goes with
    # the link alone: a document that cannot be fetched never blocks the mail for good.
    attachment_attempts: int = 3
    sender_batch_size: int = 250
    # More lanes overlap database round trips with sending: worth it with a remote
    # database; on a busy two-core host one lane is faster.
    sender_lanes: int = 1
    sender_poll_seconds: float = 0.5
    sender_lease_seconds: float = 120.0
    # httpx slows down past ~8 concurrent requests on one client (pool contention).
    sender_webhook_concurrency: int = 8

    @field_validator("smtp_url")
    @classmethod
    def _smtp_scheme(cls, value: str | None) -> str | None:
        # Refused at startup rather than by a sender that would die in the background.
        if value and not value.startswith(("smtp://", "smtps://")):
            raise ValueError("GUICHET_SMTP_URL must be smtp://host:port or smtps://host:port")
        return value

    @field_validator("garage_teachers", "ticketing_supervisors", mode="before")
    @classmethod
    def _split_addresses(cls, value: object) -> object:
        if isinstance(value, str):
            return tuple(a.strip() for a in value.split(",") if a.strip())
        return value
