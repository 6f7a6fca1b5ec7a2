"""`/api/imaging/sites…`: sites (a supervisor's), their rooms and host groups (technicians
too). A caller limited to some sites sees and changes those only."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Response

from guichet_common.http import PRECONDITION_RESPONSES, PROBLEM, IfMatch, SessionDep, etag_for
from guichet_common.idempotency import IdempotencyKey, begin_idempotent
from guichet_common.pagination import Page, PageParams
from guichet_common.text import Text
from imaging.db import plumbing
from imaging.deps import ParkReads, ParkWrites, SupervisorWrites, check_site
from imaging.sites import service
from imaging.sites.models import RoomKind
from imaging.sites.schemas import (
    GroupIn,
    GroupOut,
    GroupPatch,
    RoomIn,
    RoomOut,
    RoomPatch,
    SiteIn,
    SiteOut,
    SitePatch,
    Zone,
)

router = APIRouter(tags=["sites"])

READ_RESPONSES: dict[int | str, dict[str, Any]] = {403: PROBLEM, 404: PROBLEM}
CREATE_RESPONSES: dict[int | str, dict[str, Any]] = {**READ_RESPONSES, 409: PROBLEM, 422: PROBLEM}
# A write to an existing resource: not found, or read before it last changed.
WRITE_RESPONSES: dict[int | str, dict[str, Any]] = {
    **READ_RESPONSES,
    422: PROBLEM,
    **PRECONDITION_RESPONSES,
}

SITE = "/sites/{code}"
ROOM = "/sites/{code}/rooms/{room}"
GROUP = "/sites/{code}/groups/{group}"


# --- sites -------------------------------------------------------------------------------------


@router.post("/sites", status_code=201, response_model=SiteOut, responses=CREATE_RESPONSES)
async def register_site(
    data: SiteIn,
    response: Response,
    session: SessionDep,
    supervisor: SupervisorWrites,
    idempotency_key: IdempotencyKey = None,
) -> Any:
    """A school or office. Its code is unique whatever its case (409); the hostname prefix,
    when not given, is the code's first six letters and digits (`Chécy-CLG` → `CHECYC`).
    With an `Idempotency-Key`, a retry returns the first answer."""
    check_site(supervisor, data.code)
    idempotent = await begin_idempotent(
        session,
        plumbing,
        "site",
        idempotency_key,
        data.model_dump(mode="json"),
        owner=supervisor.subject,
    )
    if idempotent.replay is not None:
        return idempotent.replay
    site = await service.register_site(session, data, actor=supervisor.subject)
    created = SiteOut.of(site)
    await idempotent.complete_created(session, response, created, site.version)
    return created


@router.get("/sites", response_model=Page[SiteOut])
async def list_sites(
    session: SessionDep,
    caller: ParkReads,
    page: PageParams,
    zone: Zone | None = None,
    department: Annotated[Text | None, Query(max_length=3)] = None,
    active: bool | None = None,
    q: Annotated[
        Text | None, Query(max_length=100, description="Part of the code or of the name")
    ] = None,
) -> Page[SiteOut]:
    """By code; a caller limited to some sites sees those only."""
    sites = await service.list_sites(
        session,
        page,
        covered=caller.sites,
        zone=zone,
        department=department,
        active=active,
        q=q,
    )
    return Page.of(sites, SiteOut.of)


@router.get(SITE, response_model=SiteOut, responses=READ_RESPONSES)
async def get_site(
    code: Text, response: Response, session: SessionDep, caller: ParkReads
) -> SiteOut:
    """The site whose code is `code`, whatever its case."""
    check_site(caller, code)
    site = await service.get_site(session, code)
    response.headers["ETag"] = etag_for(site.version)
    return SiteOut.of(site)


@router.patch(SITE, response_model=SiteOut, responses={**WRITE_RESPONSES, 409: PROBLEM})
async def update_site(
    code: Text,
    data: SitePatch,
    response: Response,
    session: SessionDep,
    supervisor: SupervisorWrites,
    if_match: IfMatch = None,
) -> SiteOut:
    """Only the fields sent change (the code never does). Needs the ETag read with
    `If-Match`."""
    check_site(supervisor, code)
    site = await service.update_site(
        session, code, data, if_match=if_match, actor=supervisor.subject
    )
    response.headers["ETag"] = etag_for(site.version)
    return SiteOut.of(site)


# --- rooms -------------------------------------------------------------------------------------


@router.post(
    "/sites/{code}/rooms", status_code=201, response_model=RoomOut, responses=CREATE_RESPONSES
)
async def register_room(
    code: Text,
    data: RoomIn,
    response: Response,
    session: SessionDep,
    caller: ParkWrites,
    idempotency_key: IdempotencyKey = None,
) -> Any:
    """A room of the site; its code (upper-cased) is unique among the site's live rooms.
    With an `Idempotency-Key`, a retry returns the first answer."""
    check_site(caller, code)
    site = await service.get_site(session, code)
    idempotent = await begin_idempotent(
        session,
        plumbing,
        "room",
        idempotency_key,
        {"site_id": str(site.id), **data.model_dump(mode="json")},
        owner=caller.subject,
    )
    if idempotent.replay is not None:
        return idempotent.replay
    room = await service.register_room(session, site, data)
    created = RoomOut.of(site, room)
    await idempotent.complete_created(session, response, created, room.version)
    return created


@router.get("/sites/{code}/rooms", response_model=Page[RoomOut], responses=READ_RESPONSES)
async def list_rooms(
    code: Text,
    session: SessionDep,
    caller: ParkReads,
    page: PageParams,
    kind: RoomKind | None = None,
) -> Page[RoomOut]:
    """The site's rooms by code (removed ones are not listed)."""
    check_site(caller, code)
    site = await service.get_site(session, code)
    rooms = await service.list_rooms(session, site, page, kind=kind)
    return Page.of(rooms, lambda room: RoomOut.of(site, room))


@router.get(ROOM, response_model=RoomOut, responses=READ_RESPONSES)
async def get_room(
    code: Text, room: Text, response: Response, session: SessionDep, caller: ParkReads
) -> RoomOut:
    check_site(caller, code)
    site = await service.get_site(session, code)
    found = await service.get_room(session, site, room)
    response.headers["ETag"] = etag_for(found.version)
    return RoomOut.of(site, found)


@router.patch(ROOM, response_model=RoomOut, responses=WRITE_RESPONSES)
async def update_room(
    code: Text,
    room: Text,
    data: RoomPatch,
    response: Response,
    session: SessionDep,
    caller: ParkWrites,
    if_match: IfMatch = None,
) -> RoomOut:
    """Its name or kind. Needs the ETag read with `If-Match`."""
    check_site(caller, code)
    site = await service.get_site(session, code)
    changed = await service.update_room(session, site, room, data, if_match=if_match)
    response.headers["ETag"] = etag_for(changed.version)
    return RoomOut.of(site, changed)


@router.delete(ROOM, status_code=204, responses=WRITE_RESPONSES)
async def remove_room(
    code: Text, room: Text, session: SessionDep, caller: ParkWrites, if_match: IfMatch = None
) -> Response:
    """The room is removed: out of the lists, its code free for a new room; hosts keep it
    in their history. Needs the ETag read with `If-Match`."""
    check_site(caller, code)
    site = await service.get_site(session, code)
    await service.remove_room(session, site, room, if_match=if_match)
    return Response(status_code=204)


# --- host groups -------------------------------------------------------------------------------


@router.post(
    "/sites/{code}/groups", status_code=201, response_model=GroupOut, responses=CREATE_RESPONSES
)
async def register_group(
    code: Text,
    data: GroupIn,
    response: Response,
    session: SessionDep,
    caller: ParkWrites,
    idempotency_key: IdempotencyKey = None,
) -> Any:
    """Hosts that go together (a mobile classroom's laptops); its code (upper-cased) is
    unique in the site. Members are managed on the hosts. With an `Idempotency-Key`, a
    retry returns the first answer."""
    check_site(caller, code)
    site = await service.get_site(session, code)
    idempotent = await begin_idempotent(
        session,
        plumbing,
        "host-group",
        idempotency_key,
        {"site_id": str(site.id), **data.model_dump(mode="json")},
        owner=caller.subject,
    )
    if idempotent.replay is not None:
        return idempotent.replay
    group = await service.register_group(session, site, data)
    created = GroupOut.of(site, group)
    await idempotent.complete_created(session, response, created, group.version)
    return created


@router.get("/sites/{code}/groups", response_model=Page[GroupOut], responses=READ_RESPONSES)
async def list_groups(
    code: Text, session: SessionDep, caller: ParkReads, page: PageParams
) -> Page[GroupOut]:
    """The site's host groups by code."""
    check_site(caller, code)
    site = await service.get_site(session, code)
    groups = await service.list_groups(session, site, page)
    return Page.of(groups, lambda group: GroupOut.of(site, group))


@router.get(GROUP, response_model=GroupOut, responses=READ_RESPONSES)
async def get_group(
    code: Text, group: Text, response: Response, session: SessionDep, caller: ParkReads
) -> GroupOut:
    check_site(caller, code)
    site = await service.get_site(session, code)
    found = await service.get_group(session, site, group)
    response.headers["ETag"] = etag_for(found.version)
    return GroupOut.of(site, found)


@router.patch(GROUP, response_model=GroupOut, responses=WRITE_RESPONSES)
async def update_group(
    code: Text,
    group: Text,
    data: GroupPatch,
    response: Response,
    session: SessionDep,
    caller: ParkWrites,
    if_match: IfMatch = None,
) -> GroupOut:
    """Its name. Needs the ETag read with `If-Match`."""
    check_site(caller, code)
    site = await service.get_site(session, code)
    changed = await service.update_group(session, site, group, data, if_match=if_match)
    response.headers["ETag"] = etag_for(changed.version)
    return GroupOut.of(site, changed)


@router.delete(GROUP, status_code=204, responses=WRITE_RESPONSES)
async def delete_group(
    code: Text, group: Text, session: SessionDep, caller: ParkWrites, if_match: IfMatch = None
) -> Response:
    """The group is deleted, and its memberships with it (the hosts stay). Needs the ETag
    read with `If-Match`."""
    check_site(caller, code)
    site = await service.get_site(session, code)
    await service.delete_group(session, site, group, if_match=if_match)
    return Response(status_code=204)
