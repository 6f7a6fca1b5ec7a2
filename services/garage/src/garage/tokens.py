"""Signed tokens for public links: `<id>.<HMAC>`, checked before any database lookup."""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets


def _signature(token_id: str, secret: str, purpose: str) -> str:
    digest = hmac.new(secret.encode(), f"{purpose}:{token_id}".encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest[:18]).decode()


def new_token(secret: str, purpose: str) -> tuple[str, str]:
    """(token id to store, token to hand out)."""
    token_id = secrets.token_urlsafe(18)
    return token_id, f"{token_id}.{_signature(token_id, secret, purpose)}"


def sign(value: str, secret: str, purpose: str) -> str:
    return f"{value}.{_signature(value, secret, purpose)}"


def verify(token: str, secret: str, purpose: str) -> str | None:
    """The id inside a token we issued, or None (forged, truncated, another purpose)."""
    token_id, _, signature = token.rpartition(".")
    if not token_id:
        return None
    # Compared as bytes: a str with non-ASCII characters is refused by compare_digest.
    expected = _signature(token_id, secret, purpose).encode()
    return token_id if hmac.compare_digest(signature.encode(), expected) else None
