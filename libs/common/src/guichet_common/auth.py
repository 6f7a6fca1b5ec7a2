"""Who calls: people with a bearer JWT (HS256 secret or RS256 from a JWKS URL) and their
roles, or machine clients with a scoped API key; and the dependencies endpoints declare."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, Literal

import jwt
from fastapi import Request

from guichet_common.apikeys import service as api_keys
from guichet_common.http import Forbidden, SessionDep, Unauthorized
from guichet_common.identity import Role
from guichet_common.settings import CommonSettings


@dataclass(frozen=True)
class Principal:
    subject: str
    roles: frozenset[str] = frozenset()
    scopes: frozenset[str] = frozenset()  # API keys only
    # The site codes the caller covers (the token's `sites` claim, a key's sites); None:
    # every site (department staff).
    sites: frozenset[str] | None = None
    name: str | None = None
    claims: dict[str, Any] = field(default_factory=dict, compare=False)

    def has_any_role(self, *roles: str) -> bool:
        return Role.ADMIN in self.roles or bool(self.roles.intersection(roles))


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
        sites = claims.get("sites")
        return Principal(
            subject=str(claims["sub"]),
            roles=frozenset(str(r) for r in roles),
            sites=frozenset(str(s) for s in sites) if isinstance(sites, list) else None,
            name=claims.get("name"),
            claims=claims,
        )


# --- FastAPI dependencies ----------------------------------------------------------------

Access = Literal["read", "write", "agent"]
# The API-key scopes (of the service called) each kind of endpoint accepts.
_SCOPES_FOR: dict[str, tuple[str, ...]] = {
    "read": ("read", "write"),
    "write": ("write",),
    "agent": ("agent",),
}


def _bearer(request: Request) -> str:
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    token = token.strip()
    if scheme.lower() != "bearer" or not token:
        raise Unauthorized("send Authorization: Bearer <token>")
    return token


async def _person(request: Request, token: str) -> Principal:
    if api_keys.is_api_key(token):
        raise Forbidden("people only: an API key cannot call this endpoint")
    verifier: JwtVerifier = request.app.state.jwt_verifier
    principal = await verifier.verify(token)
    return principal


def require_roles(*roles: str) -> Callable[[Request], Awaitable[Principal]]:
    """People (JWT) with one of `roles` (admins pass); API keys are refused."""

    async def dependency(request: Request) -> Principal:
        principal = await _person(request, _bearer(request))
        if not principal.has_any_role(*roles):
            raise Forbidden(f"requires one of the roles: {', '.join(roles)}")
        return principal

    return dependency


def require_access(*roles: str, access: Access) -> Callable[..., Awaitable[Principal]]:
    """People with one of `roles` (admins pass), or API keys of this service whose scope
    grants `access`: a `read` endpoint takes `<service>:read` or `<service>:write`, a
    `write` one `<service>:write`, an `agent` one `<service>:agent`."""

    async def dependency(request: Request, session: SessionDep) -> Principal:
        token = _bearer(request)
        if not api_keys.is_api_key(token):
            principal = await _person(request, token)
            if not principal.has_any_role(*roles):
                raise Forbidden(f"requires one of the roles: {', '.join(roles)}")
            return principal
        definition = request.app.state.definition
        key = await api_keys.verify(session, definition.tables, token)
        if key is None:
            raise Unauthorized("unknown or revoked API key")
        granted = {f"{definition.name}:{scope}" for scope in _SCOPES_FOR[access]}
        if not granted.intersection(key.scopes):
            raise Forbidden(f"requires an API key with the scope {' or '.join(sorted(granted))}")
        return Principal(
            subject=f"api-key:{key.key_id}",
            name=key.name,
            scopes=frozenset(key.scopes),
            sites=frozenset(key.sites) or None,
        )

    return dependency
