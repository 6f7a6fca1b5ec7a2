"""`/api/<service>/api-keys`: admins create (secret shown once), list and revoke API keys."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Response, status
from pydantic import BaseModel, Field
from sqlalchemy import select, update

from guichet_common.auth import Principal, Role, create_api_key, require_roles
from guichet_common.events import utcnow
from guichet_common.http import NotFound, SessionDep
from guichet_common.tables import PlumbingTables

SCOPE_PATTERN = r"^[a-z][a-z0-9_.-]*(:[a-z0-9_.*-]+)?$"


class ApiKeyCreate(BaseModel):
    name: str = Field(min_length=1, max_length=200, description="Who uses it, e.g. 'GLPI sync'")
    scopes: list[Annotated[str, Field(pattern=SCOPE_PATTERN, max_length=100)]] = Field(
        default_factory=list, max_length=20, description="e.g. 'imaging:agent'"
    )


class ApiKeyRead(BaseModel):
    key_id: str
    name: str
    scopes: list[str]
    created_at: datetime
    last_used_at: datetime | None
    revoked_at: datetime | None


class ApiKeyCreated(ApiKeyRead):
    api_key: str = Field(description="The secret, shown this once: store it now")


Admin = Annotated[Principal, Depends(require_roles(Role.ADMIN))]


def api_keys_router(tables: PlumbingTables) -> APIRouter:
    router = APIRouter(prefix="/api-keys", tags=["api-keys"])
    table = tables.api_key
    columns = (
        table.c.key_id,
        table.c.name,
        table.c.scopes,
        table.c.created_at,
        table.c.last_used_at,
        table.c.revoked_at,
    )

    @router.post("", status_code=status.HTTP_201_CREATED, response_model=ApiKeyCreated)
    async def create_api_key_endpoint(
        body: ApiKeyCreate, session: SessionDep, _admin: Admin
    ) -> ApiKeyCreated:
        new = await create_api_key(session, tables, name=body.name, scopes=body.scopes)
        row = (await session.execute(select(*columns).where(table.c.key_id == new.key_id))).one()
        return ApiKeyCreated(**row._asdict(), api_key=new.plaintext)

    @router.get("", response_model=list[ApiKeyRead])
    async def list_api_keys(session: SessionDep, _admin: Admin) -> list[ApiKeyRead]:
        rows = await session.execute(select(*columns).order_by(table.c.created_at, table.c.key_id))
        return [ApiKeyRead(**row._asdict()) for row in rows]

    @router.delete("/{key_id}", status_code=status.HTTP_204_NO_CONTENT)
    async def revoke_api_key(key_id: str, session: SessionDep, _admin: Admin) -> Response:
        revoked = await session.execute(
            update(table)
            .where(table.c.key_id == key_id, table.c.revoked_at.is_(None))
            .values(revoked_at=utcnow())
            .returning(table.c.key_id)
        )
        if revoked.first() is None:
            raise NotFound(f"no active API key {key_id}")
        return Response(status_code=status.HTTP_204_NO_CONTENT)

    return router
