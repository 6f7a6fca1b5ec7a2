"""`/api/imaging/hosts…`: the park's hosts, registered and named, changed, renamed,
retired. A caller limited to some sites sees and changes their hosts only."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Response

from guichet_common.events import utcnow
from guichet_common.http import PRECONDITION_RESPONSES, PROBLEM, IfMatch, SessionDep, etag_for
from guichet_common.idempotency import IdempotencyKey, begin_idempotent
from guichet_common.pagination import Page, PageParams
from guichet_common.text import Text
from imaging.db import plumbing
from imaging.deps import ParkReads, ParkWrites, SettingsDep, check_site
from imaging.hosts import service
from imaging.hosts.models import HostStatus
from imaging.hosts.schemas import HostIn, HostOut, HostPatch, RenameIn, RetiredHostOut
from imaging.naming.models import HostKind, Network

router = APIRouter(tags=["hosts"])

HOST = "/hosts/{asset_tag}"
READ_RESPONSES: dict[int | str, dict[str, Any]] = {403: PROBLEM, 404: PROBLEM}
# A write to an existing host: not found, not the caller's site, read before it last
# changed, retired (409), bad input.
WRITE_RESPONSES: dict[int | str, dict[str, Any]] = {
    **READ_RESPONSES,
    409: PROBLEM,
    422: PROBLEM,
    **PRECONDITION_RESPONSES,
}


@router.post(
    "/hosts",
    status_code=201,
    response_model=HostOut,
    responses={403: PROBLEM, 409: PROBLEM, 422: PROBLEM},
)
async def register_host(
    data: HostIn,
    response: Response,
    session: SessionDep,
    settings: SettingsDep,
    caller: ParkWrites,
    idempotency_key: IdempotencyKey = None,
) -> Any:
    """A new host, named by its site's naming policy (the lowest free number of its
    pattern), or with the `hostname` given when no other host holds it. An unknown site,
    room or group is a 422 naming the field (`site_code`, `room_code`, `groups.0`); a
    malformed MAC a 422 naming it (`macs.1`); an asset tag or a name taken a 409 naming
    the host that holds it (or, for a name, the end of its quarantine); a policy whose
    names are all taken a 409 `names-exhausted`. A host registered `retired` (the past of
    the park) needs the `hostname` it had, and does not hold it. With an
    `Idempotency-Key`, a retry returns the first answer."""
    check_site(caller, data.site_code)
    idempotent = await begin_idempotent(
        session,
        plumbing,
        "host",
        idempotency_key,
        data.model_dump(mode="json"),
        owner=caller.subject,
    )
    if idempotent.replay is not None:
        return idempotent.replay
    host = await service.register_host(session, settings, data, actor=caller.subject, now=utcnow())
    created = HostOut.of(host)
    await idempotent.complete_created(session, response, created, host.version)
    return created


@router.get("/hosts", response_model=Page[HostOut], responses={403: PROBLEM, 422: PROBLEM})
async def list_hosts(
    session: SessionDep,
    caller: ParkReads,
    page: PageParams,
    site: Annotated[Text | None, Query(max_length=20, description="A site code")] = None,
    room: Annotated[Text | None, Query(max_length=20, description="A room code")] = None,
    status: HostStatus | None = None,
    kind: HostKind | None = None,
    network: Network | None = None,
    q: Annotated[
        Text | None,
        Query(
            min_length=1,
            max_length=100,
            description="Part of the hostname, asset tag or serial number, or a MAC address",
        ),
    ] = None,
) -> Page[HostOut]:
    """By hostname, retired hosts included unless `status` says otherwise; a caller
    limited to some sites sees their hosts only."""
    hosts = await service.list_hosts(
        session,
        caller,
        page,
        site_code=site,
        room_code=room,
        status=status,
        kind=kind,
        network=network,
        q=q,
    )
    return Page.of(hosts, HostOut.of)


@router.get(HOST, response_model=HostOut, responses=READ_RESPONSES)
async def get_host(
    asset_tag: Text, response: Response, session: SessionDep, caller: ParkReads
) -> HostOut:
    """The host with this asset tag, whatever its case."""
    host = await service.get_host(session, asset_tag)
    check_site(caller, host.site.code)
    response.headers["ETag"] = etag_for(host.version)
    return HostOut.of(host)


@router.patch(HOST, response_model=HostOut, responses=WRITE_RESPONSES)
async def update_host(
    asset_tag: Text,
    data: HostPatch,
    response: Response,
    session: SessionDep,
    caller: ParkWrites,
    if_match: IfMatch = None,
) -> HostOut:
    """Only the fields sent change: room, groups, status (not `retired`: see `…/retire`),
    make, model, serial, MACs, dates, kind, network. The hostname stays (a new kind or
    network does not rename: see `…/rename`). Needs the ETag read with `If-Match`."""
    host = await service.update_host(
        session, asset_tag, data, principal=caller, if_match=if_match, now=utcnow()
    )
    response.headers["ETag"] = etag_for(host.version)
    return HostOut.of(host)


@router.post(f"{HOST}/rename", response_model=HostOut, responses=WRITE_RESPONSES)
async def rename_host(
    asset_tag: Text,
    data: RenameIn,
    response: Response,
    session: SessionDep,
    settings: SettingsDep,
    caller: ParkWrites,
    if_match: IfMatch = None,
) -> HostOut:
    """`{"hostname": …}`: that name, if no host holds it and it is not in quarantine;
    `{}`: the next name of the site's policy. The old name goes into quarantine. Needs the
    ETag read with `If-Match`."""
    host = await service.rename_host(
        session, settings, asset_tag, data, principal=caller, if_match=if_match, now=utcnow()
    )
    response.headers["ETag"] = etag_for(host.version)
    return HostOut.of(host)


@router.post(f"{HOST}/retire", response_model=RetiredHostOut, responses=WRITE_RESPONSES)
async def retire_host(
    asset_tag: Text,
    response: Response,
    session: SessionDep,
    settings: SettingsDep,
    caller: ParkWrites,
    if_match: IfMatch = None,
) -> RetiredHostOut:
    """The host leaves the park (status `retired`, for good). Its name stays reserved
    until `name_free_from` (the domain's quarantine), then another host may take it.
    Needs the ETag read with `If-Match`."""
    host, free_from = await service.retire_host(
        session, settings, asset_tag, principal=caller, if_match=if_match, now=utcnow()
    )
    response.headers["ETag"] = etag_for(host.version)
    return RetiredHostOut.retired(host, free_from)
