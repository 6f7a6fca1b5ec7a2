"""The park from spreadsheets and back, and re-sent as events.

An import reads every line, checks it as the API would (the same schemas, the same
services, each line in its own savepoint), and reports every bad line with its number and
reason. Nothing is stored while a line is bad, unless a partial import is asked for; a dry
run stores nothing at all. What is already in the park (a site's code, a room's, a host's
asset tag) is left as it is and counted: an import adds, it never changes. A host's name
given in the file (a name already on the domain) is kept, not reallocated."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from pydantic import BaseModel, ValidationError
from sqlalchemy.ext.asyncio import AsyncSession

from guichet_common.auth import Principal
from guichet_common.http import InvalidInput, NotFound, ProblemError
from imaging.deps import check_site
from imaging.hosts import repository as hosts_repository
from imaging.hosts import service as hosts
from imaging.hosts.schemas import HostIn
from imaging.naming.schemas import KIND_LABELS, NETWORK_LABELS
from imaging.settings import ImagingSettings
from imaging.sites import service as sites
from imaging.sites.schemas import ROOM_KIND_LABELS, SITE_KIND_LABELS, RoomIn, SiteCode, SiteIn
from imaging.transfer import repository
from imaging.transfer.schemas import (
    LIST_FIELDS,
    ImportReport,
    Kind,
    LineError,
    Row,
    SpreadsheetError,
    read_rows,
    split_list,
    write_rows,
)


class ImportRefused(ProblemError):
    status, slug, title = 422, "import-refused", "Lines of the file are bad: nothing imported"


# A cell may hold a code or its French label ("Collège", "Pédagogique"), in any case.
_LABELS: dict[str, dict[str, str]] = {
    "kind": {
        **{str(label).lower(): str(code) for code, label in SITE_KIND_LABELS.items()},
        **{str(label).lower(): str(code) for code, label in ROOM_KIND_LABELS.items()},
        **{str(label).lower(): str(code) for code, label in KIND_LABELS.items()},
    },
    "network": {str(label).lower(): str(code) for code, label in NETWORK_LABELS.items()},
}
_YES = {"oui", "o", "yes", "y", "true", "1", "vrai", "x"}
_NO = {"non", "n", "no", "false", "0", "faux"}


def _payload(row: Row) -> dict[str, Any]:
    payload: dict[str, Any] = {}
    for field, cell in row.values.items():
        if field in LIST_FIELDS:
            payload[field] = split_list(cell)
        elif field in _LABELS:
            payload[field] = _LABELS[field].get(cell.lower(), cell.lower())
        elif field == "active":
            payload[field] = (
                True if cell.lower() in _YES else False if cell.lower() in _NO else cell
            )
        else:
            payload[field] = cell
    return payload


def _field(loc: tuple[int | str, ...]) -> str:
    return ".".join(str(part) for part in loc)


Register = Callable[[BaseModel], Awaitable[object]]
Exists = Callable[[BaseModel], Awaitable[bool]]


async def import_file(
    session: AsyncSession,
    settings: ImagingSettings,
    kind: Kind,
    data: bytes,
    *,
    principal: Principal,
    dry_run: bool,
    partial: bool,
    now: datetime,
) -> ImportReport:
    """Every line checked and reported; 422 `import-refused` with the report when a line
    is bad (unless `partial`), and then nothing is stored."""
    try:
        rows = read_rows(kind, data)
    except SpreadsheetError as exc:
        raise InvalidInput(str(exc), field="file") from exc
    handler = _handler(session, settings, kind, principal, now)
    errors: list[LineError] = []
    created = existing = 0
    first_line: dict[str, int] = {}  # a key's first line in the file
    async with session.begin_nested() as everything:  # a dry run rolls it all back
        for row in rows:
            try:
                data_in = handler.schema.model_validate(_payload(row))
            except ValidationError as exc:
                errors += [
                    LineError(line=row.line, field=_field(e["loc"]) or None, message=e["msg"])
                    for e in exc.errors()
                ]
                continue
            key = handler.key(data_in)
            if key in first_line:
                errors.append(
                    LineError(line=row.line, field=None, message=f"repeats line {first_line[key]}")
                )
                continue
            first_line[key] = row.line
            try:
                check_site(principal, handler.site(data_in))
                if await handler.exists(data_in):
                    existing += 1
                    continue
                async with session.begin_nested():  # a refused line leaves no trace
                    await handler.register(data_in)
                created += 1
            except ProblemError as exc:
                field = exc.extra.get("field")
                errors.append(
                    LineError(
                        line=row.line,
                        field=str(field) if field else None,
                        message=exc.detail or exc.title,
                    )
                )
        rejected = len({error.line for error in errors})
        report = ImportReport(
            kind=kind,
            dry_run=dry_run,
            lines=len(rows),
            created=created,
            existing=existing,
            rejected=rejected,
            errors=errors,
        )
        if dry_run or (errors and not partial):
            await everything.rollback()
    if errors and not partial and not dry_run:
        raise ImportRefused(
            f"{rejected} of {len(rows)} line(s) are bad: fix them, or ask for a partial import",
            **report.model_dump(mode="json"),
        )
    return report


@dataclass(frozen=True)
class LineHandler:
    """How the lines of one kind of file are read, keyed, checked and registered."""

    schema: type[BaseModel]
    key: Callable[[BaseModel], str]  # what a line registers, to find it repeated
    site: Callable[[BaseModel], str]  # the site it belongs to, for site-limited callers
    exists: Exists
    register: Register


def _handler(
    session: AsyncSession,
    settings: ImagingSettings,
    kind: Kind,
    principal: Principal,
    now: datetime,
) -> LineHandler:
    actor = principal.subject

    async def site_exists(data: BaseModel) -> bool:
        assert isinstance(data, SiteIn)
        try:
            await sites.get_site(session, data.code)
        except NotFound:
            return False
        return True

    async def register_site(data: BaseModel) -> object:
        assert isinstance(data, SiteIn)
        return await sites.register_site(session, data, actor=actor)

    async def room_exists(data: BaseModel) -> bool:
        assert isinstance(data, RoomRow)
        site = await sites.get_site(session, data.site_code)
        try:
            await sites.get_room(session, site, data.code)
        except NotFound:
            return False
        return True

    async def register_room(data: BaseModel) -> object:
        assert isinstance(data, RoomRow)
        site = await sites.get_site(session, data.site_code)
        return await sites.register_room(session, site, RoomIn.model_validate(data.room()))

    async def host_exists(data: BaseModel) -> bool:
        assert isinstance(data, HostIn)
        return await hosts_repository.find_by_asset_tag(session, data.asset_tag) is not None

    async def register_host(data: BaseModel) -> object:
        assert isinstance(data, HostIn)
        return await hosts.register_host(session, settings, data, actor=actor, now=now)

    def site_code(data: BaseModel) -> str:
        assert isinstance(data, SiteIn | RoomRow | HostIn)
        return data.code if isinstance(data, SiteIn) else data.site_code

    def site_key(data: BaseModel) -> str:
        return site_code(data).upper()

    def room_key(data: BaseModel) -> str:
        assert isinstance(data, RoomRow)
        return f"{data.site_code.upper()}/{data.code.upper()}"

    def host_key(data: BaseModel) -> str:
        assert isinstance(data, HostIn)
        return data.asset_tag.upper()

    match kind:
        case "sites":
            return LineHandler(SiteIn, site_key, site_code, site_exists, register_site)
        case "rooms":
            return LineHandler(RoomRow, room_key, site_code, room_exists, register_room)
        case "hosts":
            return LineHandler(HostIn, host_key, site_code, host_exists, register_host)


class RoomRow(RoomIn):
    """A room line: the room and the code of its site."""

    site_code: SiteCode

    def room(self) -> dict[str, Any]:
        return self.model_dump(exclude={"site_code"})


async def export_file(session: AsyncSession, kind: Kind, principal: Principal) -> bytes:
    """The same columns the import reads, for the sites the caller covers."""
    match kind:
        case "sites":
            rows = await repository.site_rows(session, principal.sites)
        case "rooms":
            rows = await repository.room_rows(session, principal.sites)
        case "hosts":
            rows = await repository.host_rows(session, principal.sites)
    return write_rows(kind, rows)


async def republish_park(session: AsyncSession) -> int:
    """Every site, room and host as an `…updated.v1` event with its current version: a
    consumer that came later catches up, one that saw them keeps what it has."""
    return await sites.republish(session) + await hosts.republish(session)
