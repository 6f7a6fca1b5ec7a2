"""`POST /api/imaging/hosts/inventory` (agents report), a host's inventories and compliance,
a site's compliance, `/api/imaging/software-references`.

The agents' endpoint speaks the GLPI agent's protocol, not Guichet's: the agent logs the
`message` of `{"status": "error", "message": …}` and knows nothing of problem+json, so
every answer there, errors included, is in its format (with the HTTP status 4xx). The
body may come zlib- or gzip-compressed; it is inflated within `inventory_max_bytes`
(as sent) and `inventory_max_inflated_bytes` (inflated: a zlib bomb stops there), then
read as JSON. The agent authenticates with an API key scoped `imaging:agent`, as a bearer
token or as the password of HTTP Basic (a GLPI agent is configured with a user and a
password; the user is ignored): its first request goes without credentials, and the 401
challenge `Basic realm=…` makes it send them."""

from __future__ import annotations

import zlib
from collections.abc import Callable, Coroutine
from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Depends, Header, Request, Response, Security
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from fastapi.routing import APIRoute
from fastapi.security import HTTPAuthorizationCredentials, HTTPBasic, HTTPBasicCredentials
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import Message

from guichet_common.apikeys import service as api_keys
from guichet_common.auth import MACHINES, PEOPLE, Credentials, Principal, require_access
from guichet_common.http import (
    PRECONDITION_RESPONSES,
    PROBLEM,
    IfMatch,
    ProblemError,
    SessionDep,
    Unauthorized,
    etag_for,
)
from guichet_common.idempotency import IdempotencyKey, begin_idempotent
from guichet_common.identity import Role
from guichet_common.pagination import Page, PageParams
from guichet_common.text import Text
from imaging.db import plumbing
from imaging.deps import ParkReads, SettingsDep, SupervisorWrites
from imaging.inventory import service
from imaging.inventory.models import AgentMessage, SoftwareReference
from imaging.inventory.schemas import (
    AgentAnswer,
    AgentError,
    HostCompliance,
    InventoryOut,
    LatestInventoryOut,
    SoftwareReferenceIn,
    SoftwareReferenceOut,
    SoftwareReferencePatch,
)
from imaging.naming.models import HostKind
from imaging.settings import SERVICE, ImagingSettings

# --- the agents' transport -------------------------------------------------------------------

REALM = "Guichet imaging"
AGENT_ID_HEADER = "GLPI-Agent-ID"
JSON = "application/json"
# Content type → zlib's window bits (RFC 1950 zlib, RFC 1952 gzip); None: as is.
ENCODINGS: dict[str, int | None] = {
    JSON: None,
    "application/x-compress-zlib": zlib.MAX_WBITS,
    "application/x-compress-gzip": 16 + zlib.MAX_WBITS,
}
# Tasks a GLPI agent may run that Guichet does not serve: told at CONTACT, not to ask.
DISABLED_TASKS = ["collect", "deploy", "esx", "netdiscovery", "netinventory", "wakeonlan"]


class BadBody(ProblemError):
    status, slug, title = 400, "bad-body", "The body cannot be read"


class PayloadTooLarge(ProblemError):
    status, slug, title = 413, "payload-too-large", "Request body too large"


class UnsupportedMediaType(ProblemError):
    status, slug, title = 415, "unsupported-media-type", "Unsupported content type"


def _inflate(body: bytes, wbits: int, limit: int) -> bytes:
    """Decompress in steps, never more than `limit` bytes out: a bomb is refused (413)
    after `limit` bytes of work, not after filling the memory."""
    inflater = zlib.decompressobj(wbits)
    inflated = bytearray()
    pending = body
    try:
        while pending and not inflater.eof:
            inflated += inflater.decompress(pending, limit + 1 - len(inflated))
            if len(inflated) > limit:
                raise PayloadTooLarge(f"inflated body over {limit} bytes")
            pending = inflater.unconsumed_tail
    except zlib.error as exc:
        raise BadBody(f"the compressed body cannot be inflated: {exc}") from exc
    if not inflater.eof:
        raise BadBody("the compressed body is truncated")
    return bytes(inflated)


async def _json_request(request: Request, settings: ImagingSettings) -> Request:
    """The request with its body as JSON: read within the limits, inflated if compressed."""
    media = request.headers.get("content-type", JSON).split(";")[0].strip().lower() or JSON
    if media not in ENCODINGS:
        raise UnsupportedMediaType(f"unsupported content-type {media}: send {', '.join(ENCODINGS)}")
    limit = settings.inventory_max_bytes
    declared = request.headers.get("content-length", "0")
    if not declared.isdigit() or int(declared) > limit:
        raise PayloadTooLarge(f"body over {limit} bytes")
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > limit:
            raise PayloadTooLarge(f"body over {limit} bytes")
    wbits = ENCODINGS[media]
    raw = bytes(body)
    if wbits is not None and raw:
        raw = _inflate(raw, wbits, settings.inventory_max_inflated_bytes)
    headers = [
        (name, value)
        for name, value in request.scope["headers"]
        if name not in (b"content-type", b"content-length", b"content-encoding")
    ]
    headers += [(b"content-type", JSON.encode()), (b"content-length", str(len(raw)).encode())]

    async def receive() -> Message:
        return {"type": "http.request", "body": raw, "more_body": False}

    return Request({**request.scope, "headers": headers}, receive)


def _validation_message(exc: RequestValidationError) -> str:
    """The fields at fault, as an agent's log should name them."""
    parts: list[str] = []
    for error in exc.errors():
        where, *path = [str(part) for part in error["loc"]] or ["body"]
        field = ".".join(path)
        if error["type"] == "json_invalid":
            parts.append(f"malformed JSON: {error.get('ctx', {}).get('error', error['msg'])}")
        elif where == "header":
            missing = error["type"] == "missing"
            parts.append(
                f"missing header {field}" if missing else f"header {field}: {error['msg']}"
            )
        elif not field:
            parts.append("empty body" if error["type"] == "missing" else str(error["msg"]))
        elif error["type"] == "missing":
            parts.append(f"missing field {field}")
        elif error["type"] == "extra_forbidden":
            parts.append(f"unknown field {field}")
        else:
            parts.append(f"invalid field {field}: {error['msg']}")
    return "; ".join(dict.fromkeys(parts))[:2000]


def _agent_id(request: Request) -> str | None:
    try:
        return str(UUID(request.headers.get(AGENT_ID_HEADER, "")))
    except ValueError:
        return None


def agent_error(status: int, message: str) -> JSONResponse:
    response = JSONResponse(AgentError(message=message).model_dump(), status_code=status)
    if status == 401:  # a GLPI agent sends its user and password once challenged so
        response.headers.append("WWW-Authenticate", f'Basic realm="{REALM}"')
        response.headers.append("WWW-Authenticate", "Bearer")
    return response


class AgentRoute(APIRoute):
    """A route GLPI agents call: its body made JSON before FastAPI reads it, and every
    error (authentication, validation, the domain's) answered in the agent's format; the
    transaction is rolled back all the same (the error leaves the unit of work)."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def agent_handler(request: Request) -> Response:
            try:
                settings = request.app.state.definition.settings
                assert isinstance(settings, ImagingSettings)
                return await handler(await _json_request(request, settings))
            except RequestValidationError as exc:
                refused = agent_error(400, _validation_message(exc))
            except ProblemError as exc:
                refused = agent_error(exc.status, exc.detail or exc.title)
            except StarletteHTTPException as exc:
                refused = agent_error(exc.status_code, str(exc.detail))
            # The protocol names the agent in every answer (a proxy agent routes by it).
            agent_id = _agent_id(request)
            if agent_id is not None:
                refused.headers[AGENT_ID_HEADER] = agent_id
            return refused

        return agent_handler


# --- who reports -------------------------------------------------------------------------------

AGENT_SCOPES = [f"{SERVICE}:agent"]
# People may send one too (an inventory captured by hand with `glpi-agent --local`).
AGENT_ROLES = (Role.TECHNICIAN, Role.SUPERVISOR)
BASIC = HTTPBasic(
    scheme_name="apiKeyBasic",
    realm=REALM,
    description="An API key of this service as the password of HTTP Basic (GLPI agents are "
    "configured with a user and a password; the user is ignored); the scopes listed are "
    "those that open the call.",
    auto_error=False,
)
_agent_access = require_access(SERVICE, *AGENT_ROLES, access="agent")


async def agent_caller(
    request: Request,
    session: SessionDep,
    person: Annotated[Credentials, Security(PEOPLE, scopes=[*AGENT_ROLES, Role.ADMIN])],
    key: Annotated[Credentials, Security(MACHINES, scopes=AGENT_SCOPES)],
    basic: Annotated[HTTPBasicCredentials | None, Security(BASIC, scopes=AGENT_SCOPES)],
) -> Principal:
    """`require_access(…, access="agent")`, the key also taken as the Basic password."""
    if basic is not None:
        password = basic.password.strip()
        if not api_keys.is_api_key(password):
            raise Unauthorized("HTTP Basic takes an API key (gk_…) as its password")
        person = key = HTTPAuthorizationCredentials(scheme="Bearer", credentials=password)
    # The dependency `require_access` builds, called with the credentials found.
    return await _agent_access(request, session, person, key)


AgentCaller = Annotated[Principal, Depends(agent_caller)]
AGENT_ERROR = {"model": AgentError, "content": {JSON: {}}}
COMPRESSED = {"schema": {"type": "string", "format": "binary"}}

agent_router = APIRouter(tags=["inventory"], route_class=AgentRoute)


@agent_router.post(
    "/hosts/inventory",
    response_model=AgentAnswer,
    response_model_exclude_none=True,
    responses=dict.fromkeys((400, 401, 403, 404, 409, 413, 415), AGENT_ERROR),
    openapi_extra={
        "requestBody": {
            "content": {
                "application/x-compress-zlib": COMPRESSED,
                "application/x-compress-gzip": COMPRESSED,
            }
        }
    },
)
async def report_inventory(
    message: AgentMessage,
    response: Response,
    session: SessionDep,
    settings: SettingsDep,
    caller: AgentCaller,
    agent_id: Annotated[UUID, Header(alias=AGENT_ID_HEADER, description="The agent's UUID")],
) -> AgentAnswer:
    """A GLPI agent's inventory (JSON, or compressed: `application/x-compress-zlib`,
    `application/x-compress-gzip`), or its CONTACT. The host must be registered: it is
    found by its serial, its MACs or its asset tag (404 otherwise, naming what the
    document reported; 409 if two hosts match), and must be of the key's sites (403).
    The same document sent again records nothing. Answers in the agent's format:
    `{"status": "ok", "expiration": 24}`, or `{"status": "error", "message": …}`."""
    response.headers[AGENT_ID_HEADER] = str(agent_id)
    expiration = settings.inventory_expiration_hours
    if message.is_contact:
        return AgentAnswer(
            expiration=expiration,
            tasks={"inventory": {"server": "glpi", "version": "10.0"}},
            disabled=DISABLED_TASKS,
        )
    await service.report(session, caller, message, agent_id=str(agent_id))
    return AgentAnswer(expiration=expiration)


# --- a host's inventories and compliance ------------------------------------------------------

router = APIRouter(tags=["inventory"])
router.include_router(agent_router)

HOST = "/hosts/{asset_tag}"
READ_RESPONSES: dict[int | str, dict[str, Any]] = {403: PROBLEM, 404: PROBLEM}


@router.get(
    f"{HOST}/inventories",
    response_model=Page[InventoryOut],
    responses={**READ_RESPONSES, 422: PROBLEM},
)
async def list_inventories(
    asset_tag: Text, session: SessionDep, caller: ParkReads, page: PageParams
) -> Page[InventoryOut]:
    """The host's inventories, newest first, each with what changed since the one before
    (in French: `Mémoire : 4 Go → 8 Go`)."""
    found, first_id = await service.history(session, caller, asset_tag, page)
    return Page.of(found, lambda i: InventoryOut.of(i, first=i.id == first_id))


@router.get(
    f"{HOST}/inventories/latest", response_model=LatestInventoryOut, responses=READ_RESPONSES
)
async def get_latest_inventory(
    asset_tag: Text, session: SessionDep, caller: ParkReads
) -> LatestInventoryOut:
    """The host's latest inventory: the agent's document as received, and the summary of
    the host after it (a partial inventory's document holds only the sections it sent)."""
    host, inventory = await service.latest(session, caller, asset_tag)
    return LatestInventoryOut.of(host.asset_tag, inventory)


@router.get(f"{HOST}/compliance", response_model=HostCompliance, responses=READ_RESPONSES)
async def get_host_compliance(
    asset_tag: Text, session: SessionDep, caller: ParkReads
) -> HostCompliance:
    """What the host's latest inventory lacks of the software references of its site and
    kind: each missing software or below its minimum version, with a French label
    (`compliant` null: never inventoried)."""
    return await service.host_compliance(session, caller, asset_tag)


@router.get(
    "/compliance",
    response_model=Page[HostCompliance],
    responses={403: PROBLEM, 404: PROBLEM, 422: PROBLEM},
)
async def list_non_compliant_hosts(
    session: SessionDep, caller: ParkReads, page: PageParams, site: Text | None = None
) -> Page[HostCompliance]:
    """The hosts in service (not retired) of the site (default: every site the caller
    covers) that do not meet a software reference on their latest inventory, or were
    never inventoried (`compliant` null), by asset tag. A page examines `limit` hosts and
    lists those among them: follow `next_cursor` to the end, a page may be short."""
    found = await service.non_compliant(session, caller, page, site_code=site)
    return Page.of(found, lambda judged: judged)


# --- software references ---------------------------------------------------------------------

REFERENCES = "/software-references"
REFERENCE = REFERENCES + "/{reference_id}"
WRITE_RESPONSES: dict[int | str, dict[str, Any]] = {**READ_RESPONSES, **PRECONDITION_RESPONSES}


def _out(reference: SoftwareReference) -> SoftwareReferenceOut:
    return SoftwareReferenceOut.of(reference, reference.site.code if reference.site else None)


@router.post(
    REFERENCES,
    status_code=201,
    response_model=SoftwareReferenceOut,
    responses={403: PROBLEM, 404: PROBLEM, 422: PROBLEM},
)
async def create_software_reference(
    data: SoftwareReferenceIn,
    response: Response,
    session: SessionDep,
    caller: SupervisorWrites,
    idempotency_key: IdempotencyKey = None,
) -> Any:
    """A software the hosts of a site (`site_code`; null: every site, for a supervisor
    of every site) and of a kind (`host_kind`; null: every kind) must have: its name
    starts with `name_pattern` (any case), at `min_version` at least (dotted numbers
    compared part by part; null: any). With an `Idempotency-Key`, a retry returns the
    first answer."""
    idempotent = await begin_idempotent(
        session,
        plumbing,
        "software-reference",
        idempotency_key,
        data.model_dump(mode="json"),
        owner=caller.subject,
    )
    if idempotent.replay is not None:
        return idempotent.replay
    reference = await service.create_reference(session, caller, data)
    created = _out(reference)
    await idempotent.complete_created(session, response, created, reference.version)
    return created


@router.get(
    REFERENCES,
    response_model=Page[SoftwareReferenceOut],
    responses={403: PROBLEM, 404: PROBLEM, 422: PROBLEM},
)
async def list_software_references(
    session: SessionDep,
    caller: ParkReads,
    page: PageParams,
    site: Text | None = None,
    host_kind: HostKind | None = None,
) -> Page[SoftwareReferenceOut]:
    """By name pattern. `site`: those its hosts must meet (its own and every site's);
    `host_kind`: those of that kind and of every kind."""
    found = await service.list_references(
        session, caller, page, site_code=site, host_kind=host_kind
    )
    return Page.of(found, _out)


@router.get(REFERENCE, response_model=SoftwareReferenceOut, responses=READ_RESPONSES)
async def get_software_reference(
    reference_id: UUID, response: Response, session: SessionDep, caller: ParkReads
) -> SoftwareReferenceOut:
    reference = await service.get_reference(session, caller, reference_id)
    response.headers["ETag"] = etag_for(reference.version)
    return _out(reference)


@router.patch(
    REFERENCE,
    response_model=SoftwareReferenceOut,
    responses={**WRITE_RESPONSES, 422: PROBLEM},
)
async def update_software_reference(
    reference_id: UUID,
    data: SoftwareReferencePatch,
    response: Response,
    session: SessionDep,
    caller: SupervisorWrites,
    if_match: IfMatch = None,
) -> SoftwareReferenceOut:
    """Only the fields sent change. Needs the ETag read with `If-Match`."""
    reference = await service.update_reference(
        session, caller, reference_id, data, if_match=if_match
    )
    response.headers["ETag"] = etag_for(reference.version)
    return _out(reference)


@router.delete(REFERENCE, status_code=204, responses=WRITE_RESPONSES)
async def delete_software_reference(
    reference_id: UUID, session: SessionDep, caller: SupervisorWrites, if_match: IfMatch = None
) -> Response:
    """Needs the ETag read with `If-Match`."""
    await service.delete_reference(session, caller, reference_id, if_match=if_match)
    return Response(status_code=204)
