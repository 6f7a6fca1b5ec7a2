"""Bearer JWT (HS256 secret or RS256 from a JWKS URL), roles, and hashed, scoped API keys."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import secrets
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import timedelta
from enum import StrEnum
from typing import Any

import jwt
from fastapi import Request
from sqlalchemy import or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from guichet_common.db import unit_of_work
from guichet_common.events import utcnow
from guichet_common.http import Forbidden, Unauthorized
from guichet_common.settings import CommonSettings
from guichet_common.tables import PlumbingTables

API_KEY_PREFIX = "gk"


class Role(StrEnum):
    REQUESTER = "requester"
    TECHNICIAN = "technician"
    SUPERVISOR = "supervisor"
    ADMIN = "admin"
    GARAGE_TEACHER = "garage_teacher"
    OPS = "ops"


@dataclass(frozen=True)
class Principal:
    subject: str
    roles: frozenset[str] = frozenset()
    scopes: frozenset[str] = frozenset()
    name: str | None = None
    claims: dict[str, Any] = field(default_factory=dict, compare=False)

    def has_any_role(self, *roles: str) -> bool:
        return Role.ADMIN in self.roles or bool(self.roles.intersection(roles))


def mint_token(
    secret: str,
    *,
    subject: str,
    roles: list[str],
    ttl: timedelta = timedelta(hours=12),
    issuer: str = "guichet",
    name: str | None = None,
) -> str:
    unknown = set(roles) - {r.value for r in Role}
    if unknown:
        raise ValueError(f"unknown roles: {', '.join(sorted(unknown))}")
    now = utcnow()
    claims: dict[str, Any] = {
        "sub": subject,
        "roles": roles,
        "iss": issuer,
        "iat": int(now.timestamp()),
        "exp": int((now + ttl).timestamp()),
    }
    if name:
        claims["name"] = name
    return jwt.encode(claims, secret, algorithm="HS256")


class JwtVerifier:
    """HS256 with the shared secret, or RS256 keys fetched (and cached) from a JWKS URL."""

    def __init__(
        self,
        *,
        secret: str | None,
        jwks_url: str | None,
        issuer: str | None,
        audience: str | None = None,
    ) -> None:
        self.secret = secret
        self.issuer = issuer
        self.audience = audience
        self._jwks = jwt.PyJWKClient(jwks_url, cache_keys=True) if jwks_url else None

    @classmethod
    def from_settings(cls, settings: CommonSettings) -> JwtVerifier:
        return cls(
            secret=settings.jwt_secret.get_secret_value(),
            jwks_url=settings.jwt_jwks_url,
            issuer=settings.jwt_issuer,
            audience=settings.jwt_audience,
        )

    async def verify(self, token: str) -> Principal:
        try:
            if self._jwks is not None:
                key = await asyncio.to_thread(self._jwks.get_signing_key_from_jwt, token)
                claims = jwt.decode(
                    token,
                    key.key,
                    algorithms=["RS256"],
                    issuer=self.issuer,
                    audience=self.audience,
                    # Without a configured audience any client's token of the IdP would do.
                    options={"verify_aud": self.audience is not None, "require": ["exp", "sub"]},
                )
            elif self.secret:
                claims = jwt.decode(
                    token,
                    self.secret,
                    algorithms=["HS256"],
                    issuer=self.issuer,
                    options={"require": ["exp", "sub"]},
                )
            else:
                raise Unauthorized("no token verifier configured")
        except jwt.PyJWTError as exc:
            raise Unauthorized(f"invalid token: {exc}") from exc
        # Guichet's own roles: a top-level `roles` claim, or (Keycloak) the roles of this
        # client; never the IdP's realm-wide roles, whose `admin` is not ours.
        client_roles = claims.get("resource_access", {}).get(self.audience or "", {})
        roles = claims.get("roles") or client_roles.get("roles") or []
        return Principal(
            subject=str(claims["sub"]),
            roles=frozenset(str(r) for r in roles),
            name=claims.get("name"),
            claims=claims,
        )


# --- API keys ----------------------------------------------------------------------------


@dataclass(frozen=True)
class NewApiKey:
    key_id: str
    plaintext: str  # shown once, never stored


def _hash_secret(secret: str) -> str:
    # API keys carry 256 random bits: a fast hash is enough, no password stretching needed.
    return hashlib.sha256(secret.encode()).hexdigest()


async def create_api_key(
    session: AsyncSession, tables: PlumbingTables, *, name: str, scopes: list[str]
) -> NewApiKey:
    key_id = secrets.token_hex(8)
    secret = secrets.token_urlsafe(32)
    await session.execute(
        tables.api_key.insert().values(
            key_id=key_id, name=name, secret_hash=_hash_secret(secret), scopes=scopes
        )
    )
    return NewApiKey(key_id, f"{API_KEY_PREFIX}_{key_id}_{secret}")


async def verify_api_key(
    session: AsyncSession, tables: PlumbingTables, presented: str
) -> Principal | None:
    prefix, _, rest = presented.partition("_")
    key_id, _, secret = rest.partition("_")
    if prefix != API_KEY_PREFIX or not key_id or not secret:
        return None
    table = tables.api_key
    row = (
        await session.execute(
            select(table.c.name, table.c.secret_hash, table.c.scopes).where(
                table.c.key_id == key_id, table.c.revoked_at.is_(None)
            )
        )
    ).first()
    if row is None or not hmac.compare_digest(row.secret_hash, _hash_secret(secret)):
        return None
    # At most one write a minute per key: a read must not become a hot-row update.
    now = utcnow()
    await session.execute(
        update(table)
        .where(
            table.c.key_id == key_id,
            or_(table.c.last_used_at.is_(None), table.c.last_used_at < now - timedelta(minutes=1)),
        )
        .values(last_used_at=now)
    )
    return Principal(subject=f"api-key:{key_id}", name=row.name, scopes=frozenset(row.scopes))


# --- FastAPI dependencies ----------------------------------------------------------------


async def current_principal(request: Request) -> Principal:
    """A user's JWT, or a machine client's API key (`Authorization: Bearer gk_…`)."""
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    token = token.strip()
    if scheme.lower() != "bearer" or not token:
        raise Unauthorized("send Authorization: Bearer <token>")
    definition = getattr(request.app.state, "definition", None)
    if token.startswith(f"{API_KEY_PREFIX}_") and definition is not None:
        tables: PlumbingTables = definition.tables
        async with unit_of_work(request.app.state.session_factory) as session:
            principal = await verify_api_key(session, tables, token)
        if principal is None:
            raise Unauthorized("unknown or revoked API key")
        return principal
    verifier: JwtVerifier = request.app.state.jwt_verifier
    return await verifier.verify(token)


def require_roles(*roles: str) -> Callable[[Request], Awaitable[Principal]]:
    async def dependency(request: Request) -> Principal:
        principal = await current_principal(request)
        if not principal.has_any_role(*roles):
            raise Forbidden(f"requires one of the roles: {', '.join(roles)}")
        return principal

    return dependency


def require_scopes(*scopes: str) -> Callable[[Request], Awaitable[Principal]]:
    """For machine clients: an API key with one of these scopes (or an admin user)."""

    async def dependency(request: Request) -> Principal:
        principal = await current_principal(request)
        if Role.ADMIN not in principal.roles and not principal.scopes.intersection(scopes):
            raise Forbidden(f"requires an API key with one of the scopes: {', '.join(scopes)}")
        return principal

    return dependency
