"""`/api/imaging/naming-policies`: how hosts are named, per site and kind (a supervisor's;
technicians may read them)."""

from __future__ import annotations

from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Query, Response

from guichet_common.auth import Principal
from guichet_common.http import (
    PRECONDITION_RESPONSES,
    PROBLEM,
    Forbidden,
    IfMatch,
    SessionDep,
    etag_for,
)
from guichet_common.idempotency import IdempotencyKey, begin_idempotent
from guichet_common.pagination import Page, PageParams
from guichet_common.text import Text
from imaging.db import plumbing
from imaging.deps import ParkReads, SupervisorWrites, check_site
from imaging.naming import service
from imaging.naming.models import HostKind
from imaging.naming.schemas import PolicyIn, PolicyOut, PolicyPatch

router = APIRouter(tags=["naming"])

POLICY = "/naming-policies/{policy_id}"
READ_RESPONSES: dict[int | str, dict[str, Any]] = {404: PROBLEM}
WRITE_RESPONSES: dict[int | str, dict[str, Any]] = {
    403: PROBLEM,
    404: PROBLEM,
    **PRECONDITION_RESPONSES,
}


def _check_scope(principal: Principal, site_code: str | None) -> None:
    """A caller limited to some sites changes their policies only, not the default ones."""
    if site_code is not None:
        check_site(principal, site_code)
    elif principal.sites is not None:
        raise Forbidden(
            "the default naming policies name every site's hosts: a caller "
            "limited to some sites cannot change them"
        )


@router.post(
    "/naming-policies",
    status_code=201,
    response_model=PolicyOut,
    responses={403: PROBLEM, 409: PROBLEM, 422: PROBLEM},
)
async def create_policy(
    data: PolicyIn,
    response: Response,
    session: SessionDep,
    supervisor: SupervisorWrites,
    idempotency_key: IdempotencyKey = None,
) -> Any:
    """A template for the hosts of a site (`site_code` null: of every site without a
    policy) and of a kind (`kind` null: any kind). Refused (422 on `template`) when a name
    it gives could exceed 15 characters (the answer says how long), could be digits only,
    or could name one host only (no sequence, no `{asset}`); 409 when the site and kind
    have a policy already. Hosts named already keep their names. With an
    `Idempotency-Key`, a retry returns the first answer."""
    _check_scope(supervisor, data.site_code)
    idempotent = await begin_idempotent(
        session,
        plumbing,
        "naming-policy",
        idempotency_key,
        data.model_dump(mode="json"),
        owner=supervisor.subject,
    )
    if idempotent.replay is not None:
        return idempotent.replay
    policy = await service.create_policy(session, data)
    created = PolicyOut.of(policy)
    await idempotent.complete_created(session, response, created, policy.version)
    return created


@router.get("/naming-policies", response_model=Page[PolicyOut], responses={422: PROBLEM})
async def list_policies(
    session: SessionDep,
    _caller: ParkReads,
    page: PageParams,
    site_code: Annotated[
        Text | None, Query(max_length=20, description="The policies of this site only")
    ] = None,
    defaults: Annotated[
        bool, Query(description="The policies of sites without their own only")
    ] = False,
    kind: HostKind | None = None,
) -> Page[PolicyOut]:
    """Oldest first (the default policy, seeded, comes first)."""
    policies = await service.list_policies(
        session, page, site_code=site_code, defaults_only=defaults, kind=kind
    )
    return Page.of(policies, PolicyOut.of)


@router.get(POLICY, response_model=PolicyOut, responses=READ_RESPONSES)
async def get_policy(
    policy_id: UUID, response: Response, session: SessionDep, _caller: ParkReads
) -> PolicyOut:
    policy = await service.get_policy(session, policy_id)
    response.headers["ETag"] = etag_for(policy.version)
    return PolicyOut.of(policy)


@router.patch(POLICY, response_model=PolicyOut, responses={**WRITE_RESPONSES, 422: PROBLEM})
async def update_policy(
    policy_id: UUID,
    data: PolicyPatch,
    response: Response,
    session: SessionDep,
    supervisor: SupervisorWrites,
    if_match: IfMatch = None,
) -> PolicyOut:
    """A new template, checked as at creation; hosts named already keep their names.
    Needs the ETag read with `If-Match`."""
    policy = await service.get_policy(session, policy_id)
    _check_scope(supervisor, policy.site.code if policy.site is not None else None)
    policy = await service.update_policy(session, policy_id, data, if_match=if_match)
    response.headers["ETag"] = etag_for(policy.version)
    return PolicyOut.of(policy)


@router.delete(POLICY, status_code=204, responses={**WRITE_RESPONSES, 409: PROBLEM})
async def delete_policy(
    policy_id: UUID, session: SessionDep, supervisor: SupervisorWrites, if_match: IfMatch = None
) -> Response:
    """Its hosts' next names come from the next policy in line: (site, any kind), then
    the default ones. The default policy (no site, any kind) cannot be deleted (409).
    Needs the ETag read with `If-Match`."""
    policy = await service.get_policy(session, policy_id)
    _check_scope(supervisor, policy.site.code if policy.site is not None else None)
    await service.delete_policy(session, policy_id, if_match=if_match)
    return Response(status_code=204)
