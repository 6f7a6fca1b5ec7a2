"""`/api/<service>/api-keys`: admins create (secret shown once), read, list and revoke API
keys. People only: no API key manages keys."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Response, status

from guichet_common.apikeys import service
from guichet_common.apikeys.repository import ApiKey
from guichet_common.apikeys.schemas import ApiKeyCreate, ApiKeyCreated, ApiKeyRead
from guichet_common.auth import Principal, require_roles
from guichet_common.http import PRECONDITION_RESPONSES, IfMatch, SessionDep, etag_for
from guichet_common.identity import Role
from guichet_common.tables import PlumbingTables
from guichet_common.text import Text

Admin = Annotated[Principal, Depends(require_roles(Role.ADMIN))]


def _read(key: ApiKey) -> ApiKeyRead:
    return ApiKeyRead.model_validate(key, from_attributes=True)


def api_keys_router(service_name: str, tables: PlumbingTables) -> APIRouter:
    router = APIRouter(prefix="/api-keys", tags=["api-keys"])

    @router.post("", status_code=status.HTTP_201_CREATED, response_model=ApiKeyCreated)
    async def create_api_key(
        body: ApiKeyCreate, response: Response, session: SessionDep, _admin: Admin
    ) -> ApiKeyCreated:
        new = await service.create(
            session,
            tables,
            service=service_name,
            name=body.name,
            scopes=body.scopes,
            sites=body.sites,
        )
        response.headers["ETag"] = etag_for(new.key.version)
        return ApiKeyCreated(**_read(new.key).model_dump(), api_key=new.plaintext)

    @router.get("", response_model=list[ApiKeyRead])
    async def list_api_keys(session: SessionDep, _admin: Admin) -> list[ApiKeyRead]:
        return [_read(key) for key in await service.list_keys(session, tables)]

    @router.get("/{key_id}", response_model=ApiKeyRead)
    async def get_api_key(
        key_id: Text, response: Response, session: SessionDep, _admin: Admin
    ) -> ApiKeyRead:
        key = await service.get(session, tables, key_id)
        response.headers["ETag"] = etag_for(key.version)
        return _read(key)

    @router.delete(
        "/{key_id}", status_code=status.HTTP_204_NO_CONTENT, responses=PRECONDITION_RESPONSES
    )
    async def revoke_api_key(
        key_id: Text, session: SessionDep, _admin: Admin, if_match: IfMatch = None
    ) -> Response:
        """Revoked at once, for good. Needs the ETag read with `If-Match`."""
        await service.revoke(session, tables, key_id, if_match)
        return Response(status_code=status.HTTP_204_NO_CONTENT)

    return router
