"""`/api/imaging/import/{sites|rooms|hosts}` (CSV in), `/api/imaging/export/…csv` (CSV
out) and `/api/imaging/republish` (the park re-sent as events)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request, Response

from guichet_common.auth import Principal, require_access
from guichet_common.events import utcnow
from guichet_common.http import PROBLEM, ProblemError, SessionDep
from guichet_common.identity import Role
from imaging.deps import ParkReads, ParkWrites, SettingsDep, SupervisorWrites
from imaging.settings import SERVICE, ImagingSettings
from imaging.transfer import service
from imaging.transfer.schemas import ImportReport, Kind

router = APIRouter(tags=["park transfer"])

CSV_BODY: dict[str, Any] = {
    "requestBody": {
        "required": True,
        "content": {"text/csv": {"schema": {"type": "string", "format": "binary"}}},
    }
}
CSV_OUT: dict[int | str, dict[str, Any]] = {200: {"content": {"text/csv": {}}}}
DryRun = Annotated[bool, Query(description="Check every line and report; store nothing")]
Partial = Annotated[bool, Query(description="Import the good lines even if some are bad")]
# Ops people (`guichet imaging republish`), or a write key: re-sending changes nothing.
Republisher = Annotated[Principal, Depends(require_access(SERVICE, Role.OPS, access="write"))]


class FileTooLarge(ProblemError):
    status, slug, title = 413, "payload-too-large", "File too large"


async def _read(request: Request, settings: ImagingSettings) -> bytes:
    data = bytearray()
    async for chunk in request.stream():
        data += chunk
        if len(data) > settings.import_max_bytes:
            raise FileTooLarge(f"at most {settings.import_max_bytes} bytes")
    return bytes(data)


async def _import(
    kind: Kind,
    request: Request,
    session: SessionDep,
    settings: ImagingSettings,
    principal: Principal,
    dry_run: bool,
    partial: bool,
) -> ImportReport:
    return await service.import_file(
        session,
        settings,
        kind,
        await _read(request, settings),
        principal=principal,
        dry_run=dry_run,
        partial=partial,
        now=utcnow(),
    )


IMPORT_RESPONSES: dict[int | str, dict[str, Any]] = {413: PROBLEM, 422: PROBLEM}


@router.post(
    "/import/sites",
    response_model=ImportReport,
    responses=IMPORT_RESPONSES,
    openapi_extra=CSV_BODY,
)
async def import_sites(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    supervisor: SupervisorWrites,
    dry_run: DryRun = False,
    partial: Partial = False,
) -> ImportReport:
    """A CSV of sites (`code;nom;type;uai;departement;zone;adresse;actif;prefixe`): `;` or
    `,`, UTF-8 with or without BOM, or Windows-1252. Every bad line is reported with its
    number and reason (422 `import-refused`, nothing stored) unless `partial`; `dry_run`
    stores nothing. Sites already registered are left as they are."""
    return await _import("sites", request, session, settings, supervisor, dry_run, partial)


@router.post(
    "/import/rooms",
    response_model=ImportReport,
    responses=IMPORT_RESPONSES,
    openapi_extra=CSV_BODY,
)
async def import_rooms(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    technician: ParkWrites,
    dry_run: DryRun = False,
    partial: Partial = False,
) -> ImportReport:
    """A CSV of rooms (`site;code;nom;type`), as for sites."""
    return await _import("rooms", request, session, settings, technician, dry_run, partial)


@router.post(
    "/import/hosts",
    response_model=ImportReport,
    responses=IMPORT_RESPONSES,
    openapi_extra=CSV_BODY,
)
async def import_hosts(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    technician: ParkWrites,
    dry_run: DryRun = False,
    partial: Partial = False,
) -> ImportReport:
    """A CSV of hosts (`site;salle;gpi;nom;numero_serie;macs;marque;modele;type;reseau;
    date_achat;fin_garantie;statut;groupes`; MACs and groups separated by `|`). A name
    given (one already on the domain) is kept; without one the site's policy names the
    host. Hosts already registered (their asset tag) are left as they are."""
    return await _import("hosts", request, session, settings, technician, dry_run, partial)


@router.get("/export/{kind}.csv", response_class=Response, responses=CSV_OUT)
async def export(kind: Kind, session: SessionDep, reader: ParkReads) -> Response:
    """The same columns the import reads (`;`, UTF-8 with BOM), the caller's sites."""
    body = await service.export_file(session, kind, reader)
    return Response(
        body,
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{kind}.csv"'},
    )


@router.post("/republish", responses={403: PROBLEM})
async def republish(session: SessionDep, _caller: Republisher) -> dict[str, int]:
    """Every site, room and host re-sent as an `…updated.v1` event with its version (ops;
    `guichet imaging republish`): a consumer that came later catches up."""
    return {"events": await service.republish_park(session)}
