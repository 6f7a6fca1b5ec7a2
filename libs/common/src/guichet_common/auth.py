"""Who calls: people with a bearer JWT (HS256 secret or RS256 from a JWKS URL) and their
roles, or machine clients with a scoped API key; and the dependencies endpoints declare."""

# No `from __future__ import annotations`: FastAPI reads the dependencies' annotations,
# which name values of the enclosing function (the scopes declared).
import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Annotated, Any, Literal

import jwt
from fastapi import Request, Security
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

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
    # The person's e-mail (the token's `email` claim): how a requester is matched to the
    # records that name them by address.
    email: str | None = None
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
    def from_settings(cls, settings: CommonSettings) -> "JwtVerifier":
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
            email=str(claims["email"]) if claims.get("email") else None,
            claims=claims,
        )


# --- FastAPI dependencies ----------------------------------------------------------------
# Each endpoint's dependency declares who may call in its OpenAPI operation (`security`):
# `person` with the roles that pass, `apiKey` with the scopes that open it; either one
# suffices. The committed openapi.json is thus the access matrix, and the suite checks
# that every operation enforces what it declares.

Access = Literal["read", "write", "agent"]
# The API-key scopes (of the service called) each kind of endpoint accepts.
_SCOPES_FOR: dict[str, tuple[str, ...]] = {
    "read": ("read", "write"),
    "write": ("write",),
    "agent": ("agent",),
}

PEOPLE = HTTPBearer(
    scheme_name="person",
    bearerFormat="JWT",
    description="A person's token; the scopes listed are the roles that may call.",
    auto_error=False,
)
MACHINES = HTTPBearer(
    scheme_name="apiKey",
    bearerFormat="gk_…",
    description="An API key of this service; the scopes listed are those that open the call.",
    auto_error=False,
)
Credentials = HTTPAuthorizationCredentials | None


def _token(credentials: Credentials) -> str:
    if credentials is None or not credentials.credentials.strip():
        raise Unauthorized("send Authorization: Bearer <token>")
    return credentials.credentials.strip()


async def _person(request: Request, token: str, roles: tuple[str, ...]) -> Principal:
    if api_keys.is_api_key(token):
        raise Forbidden("people only: an API key cannot call this endpoint")
    verifier: JwtVerifier = request.app.state.jwt_verifier
    principal = await verifier.verify(token)
    if not principal.has_any_role(*roles):
        raise Forbidden(f"requires one of the roles: {', '.join(roles)}")
    return principal


def _passing(roles: tuple[str, ...]) -> list[str]:
    """The roles that pass, as declared: those named and admin."""
    return list(dict.fromkeys([*roles, Role.ADMIN]))


def require_roles(*roles: str) -> Callable[..., Awaitable[Principal]]:
    """People (JWT) with one of `roles` (admins pass); API keys are refused."""

    async def dependency(
        request: Request,
        credentials: Annotated[Credentials, Security(PEOPLE, scopes=_passing(roles))],
    ) -> Principal:
        return await _person(request, _token(credentials), roles)

    return dependency


def require_access(
    service: str, *roles: str, access: Access
) -> Callable[..., Awaitable[Principal]]:
    """People with one of `roles` (admins pass), or API keys of `service` whose scope
    grants `access`: a `read` endpoint takes `<service>:read` or `<service>:write`, a
    `write` one `<service>:write`, an `agent` one `<service>:agent`."""
    granted = [f"{service}:{scope}" for scope in _SCOPES_FOR[access]]

    async def dependency(
        request: Request,
        session: SessionDep,
        credentials: Annotated[Credentials, Security(PEOPLE, scopes=_passing(roles))],
        _key: Annotated[Credentials, Security(MACHINES, scopes=granted)],
    ) -> Principal:
        token = _token(credentials)
        if not api_keys.is_api_key(token):
            return await _person(request, token, roles)
        key = await api_keys.verify(session, request.app.state.definition.tables, token)
        if key is None:
            raise Unauthorized("unknown or revoked API key")
        if not set(granted).intersection(key.scopes):
            raise Forbidden(f"requires an API key with the scope {' or '.join(granted)}")
        return Principal(
            subject=f"api-key:{key.key_id}",
            name=key.name,
            scopes=frozenset(key.scopes),
            sites=frozenset(key.sites) or None,
        )

    return dependency
