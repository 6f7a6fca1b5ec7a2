"""Who is who: the roles people have, and the bearer tokens (HS256 JWT) that carry them.

Kept light (PyJWT and the standard library): the CLI imports it to mint tokens and must
answer at once."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import Any

import jwt


class Role(StrEnum):
    REQUESTER = "requester"
    TECHNICIAN = "technician"
    SUPERVISOR = "supervisor"
    ADMIN = "admin"
    GARAGE_TEACHER = "garage_teacher"
    OPS = "ops"


def mint_token(
    secret: str,
    *,
    subject: str,
    roles: list[str],
    ttl: timedelta = timedelta(hours=12),
    issuer: str = "guichet",
    name: str | None = None,
    sites: list[str] | None = None,
    email: str | None = None,
) -> str:
    unknown = set(roles) - {r.value for r in Role}
    if unknown:
        raise ValueError(f"unknown roles: {', '.join(sorted(unknown))}")
    now = datetime.now(UTC)
    claims: dict[str, Any] = {
        "sub": subject,
        "roles": roles,
        "iss": issuer,
        "iat": int(now.timestamp()),
        "exp": int((now + ttl).timestamp()),
    }
    if name:
        claims["name"] = name
    if sites is not None:
        claims["sites"] = sites
    if email:
        claims["email"] = email
    return jwt.encode(claims, secret, algorithm="HS256")
