"""Standard Webhooks v1 signing: `v1,<base64 HMAC-SHA256 of "id.timestamp.body">`."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
from datetime import datetime
from typing import Any

SECRET_PREFIX = "whsec_"


def new_secret() -> str:
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(32)).decode()


def secret_bytes(secret: str) -> bytes:
    """The HMAC key is the base64-decoded part after `whsec_`, not the string itself."""
    encoded = secret.removeprefix(SECRET_PREFIX)
    return base64.b64decode(encoded + "=" * (-len(encoded) % 4))


def sign(secret: str, message_id: str, timestamp: int, body: bytes) -> str:
    signed = f"{message_id}.{timestamp}.".encode() + body
    digest = hmac.new(secret_bytes(secret), signed, hashlib.sha256).digest()
    return "v1," + base64.b64encode(digest).decode()


def signature_header(
    secrets_in_use: list[str], message_id: str, timestamp: int, body: bytes
) -> str:
    """Space-separated, one signature per active secret (two during a rotation's overlap)."""
    return " ".join(sign(s, message_id, timestamp, body) for s in secrets_in_use)


def payload_body(event_type: str, event_time: datetime, data: dict[str, Any]) -> bytes:
    return json.dumps(
        {"type": event_type, "timestamp": event_time.isoformat(), "data": data},
        separators=(",", ":"),
        ensure_ascii=False,
    ).encode()
