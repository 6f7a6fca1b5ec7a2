"""`Idempotency-Key` on creates: a retried POST gets the first response back."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import Header, Response
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from sqlalchemy import select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from guichet_common.http import InvalidInput, ProblemError, etag_for
from guichet_common.tables import PlumbingTables

IdempotencyKey = Annotated[
    str | None,
    Header(description="Makes a retried create return the first response instead of a twin"),
]


class IdempotencyKeyReused(ProblemError):
    status, slug, title = 422, "idempotency-key-reused", "Idempotency-Key reused with another body"


class IdempotentRequestInProgress(ProblemError):
    status, slug, title = 409, "idempotency-key-in-progress", "The first request is not finished"


@dataclass
class IdempotentRequest:
    """The first request with a key records its response; a retry gets that response back."""

    tables: PlumbingTables
    scope: str
    key: str | None
    request_hash: str
    replay: JSONResponse | None = None

    async def complete(
        self,
        session: AsyncSession,
        status_code: int,
        body: Any,
        headers: dict[str, str] | None = None,
    ) -> None:
        """Record the response (and headers such as ETag or Location) in the same transaction
        as the effects: a retry after a failure finds no key and runs again."""
        if self.key is None:
            return
        table = self.tables.idempotency_key
        await session.execute(
            update(table)
            .where(table.c.scope == self.scope, table.c.key == self.key)
            .values(status_code=status_code, response={"body": body, "headers": headers or {}})
        )

    async def complete_created(
        self, session: AsyncSession, response: Response, body: BaseModel, version: int
    ) -> None:
        """A 201 carrying the new resource's ETag: set on `response`, and recorded with the
        body for replays."""
        etag = etag_for(version)
        response.headers["ETag"] = etag
        await self.complete(session, 201, body.model_dump(mode="json"), {"ETag": etag})


async def begin_idempotent(
    session: AsyncSession,
    tables: PlumbingTables,
    scope: str,
    key: str | None,
    payload: Any,
    *,
    owner: str | None = None,
) -> IdempotentRequest:
    """Claim `key` for this request (nothing to claim without a key). `owner` (the caller's
    subject) keeps one client's key from replaying another's response; public endpoints
    have none."""
    if key is None:
        return IdempotentRequest(tables, scope, None, "")
    if not 1 <= len(key) <= 200:
        raise InvalidInput("Idempotency-Key must be 1 to 200 characters", field="Idempotency-Key")
    request_hash = hashlib.sha256(
        json.dumps(payload, sort_keys=True, default=str).encode()
    ).hexdigest()
    if owner is not None:
        scope = f"{scope}|{owner}"
    request = IdempotentRequest(tables, scope, key, request_hash)
    table = tables.idempotency_key
    # Claim first: a concurrent twin waits on the key until this transaction ends.
    claimed = await session.execute(
        insert(table)
        .values(scope=scope, key=key, request_hash=request_hash)
        .on_conflict_do_nothing()
        .returning(table.c.key)
    )
    if claimed.first() is not None:
        return request
    row = (
        await session.execute(
            select(table.c.request_hash, table.c.status_code, table.c.response).where(
                table.c.scope == scope, table.c.key == key
            )
        )
    ).one()
    if row.request_hash != request_hash:
        raise IdempotencyKeyReused(field="Idempotency-Key")
    if row.status_code is None:
        # Committed without a recorded response: an endpoint that forgot `complete`.
        raise IdempotentRequestInProgress("retry later", field="Idempotency-Key")
    request.replay = JSONResponse(
        row.response["body"],
        status_code=row.status_code,
        headers={**row.response["headers"], "Idempotent-Replayed": "true"},
    )
    return request
