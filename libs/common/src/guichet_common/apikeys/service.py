"""Creating, verifying and revoking API keys. The secret is shown once and stored hashed."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession

from guichet_common.apikeys import repository
from guichet_common.apikeys.repository import ApiKey
from guichet_common.events import utcnow
from guichet_common.http import InvalidInput, NotFound, check_if_match
from guichet_common.tables import PlumbingTables

API_KEY_PREFIX = "gk"


@dataclass(frozen=True)
class NewApiKey:
    key: ApiKey
    plaintext: str  # shown once, never stored


def _hash_secret(secret: str) -> str:
    # API keys carry 256 random bits: a fast hash is enough, no password stretching needed.
    return hashlib.sha256(secret.encode()).hexdigest()


def is_api_key(token: str) -> bool:
    return token.startswith(f"{API_KEY_PREFIX}_")


async def create(
    session: AsyncSession,
    tables: PlumbingTables,
    *,
    service: str,
    name: str,
    scopes: list[str],
    sites: list[str],
) -> NewApiKey:
    """A key of this service: scopes name it (`garage:read`), never another service."""
    foreign = [scope for scope in scopes if scope.partition(":")[0] != service]
    if foreign:
        raise InvalidInput(
            f"a key of {service} takes {service}:read, {service}:write or {service}:agent, "
            f"not {', '.join(foreign)}",
            field="scopes",
        )
    key_id = secrets.token_hex(8)
    secret = secrets.token_urlsafe(32)
    key = await repository.insert(
        session,
        tables,
        key_id=key_id,
        name=name,
        secret_hash=_hash_secret(secret),
        scopes=sorted(set(scopes)),
        sites=sorted(set(sites)),
    )
    return NewApiKey(key, f"{API_KEY_PREFIX}_{key_id}_{secret}")


async def verify(session: AsyncSession, tables: PlumbingTables, presented: str) -> ApiKey | None:
    """The active key this secret belongs to, or None."""
    prefix, _, rest = presented.partition("_")
    key_id, _, secret = rest.partition("_")
    if prefix != API_KEY_PREFIX or not key_id or not secret or len(key_id) > 32:
        return None
    key = await repository.get(session, tables, key_id)
    if (
        key is None
        or key.revoked_at is not None
        or not hmac.compare_digest(key.secret_hash, _hash_secret(secret))
    ):
        return None
    await repository.touch(session, tables, key_id, utcnow())
    return key


async def get(session: AsyncSession, tables: PlumbingTables, key_id: str) -> ApiKey:
    key = await repository.get(session, tables, key_id)
    if key is None:
        raise NotFound(f"no API key {key_id}")
    return key


async def revoke(
    session: AsyncSession, tables: PlumbingTables, key_id: str, if_match: str | None
) -> ApiKey:
    key = await repository.get(session, tables, key_id, for_update=True)
    if key is None or key.revoked_at is not None:
        raise NotFound(f"no active API key {key_id}")
    check_if_match(if_match, key.version)
    return await repository.revoke(session, tables, key_id, utcnow())


async def list_keys(session: AsyncSession, tables: PlumbingTables) -> list[ApiKey]:
    return await repository.list_all(session, tables)
