"""Standard Webhooks v1 signatures, made by the `standardwebhooks` library (the same code
receivers verify with): `v1,<base64 HMAC-SHA256 of "id.timestamp.body">`, keyed with the
base64-decoded part of a `whsec_` secret."""

from __future__ import annotations

import base64
import secrets
from datetime import UTC, datetime

from standardwebhooks import Webhook

from notifier.webhooks.models import WebhookEndpoint

SECRET_PREFIX = "whsec_"


def new_secret() -> str:
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(32)).decode()


def secrets_in_use(endpoint: WebhookEndpoint, now: datetime) -> list[str]:
    """The current secret, and the previous one while a rotation's overlap lasts."""
    active = [endpoint.secret]
    expires = endpoint.previous_secret_expires_at
    if endpoint.previous_secret and expires is not None and expires > now:
        active.append(endpoint.previous_secret)
    return active


def signature_header(
    secrets_in_use: list[str], message_id: str, timestamp: datetime, body: str
) -> str:
    """Space-separated, one signature per active secret (two during a rotation's overlap).
    `body` is the exact JSON text sent."""
    # The library reads the timestamp as UTC whatever its zone: give it the UTC moment.
    moment = timestamp.astimezone(UTC)
    return " ".join(Webhook(secret).sign(message_id, moment, body) for secret in secrets_in_use)
