"""Support groups and technicians: who tickets are assigned to. A technician's login is
their token's `sub`, so that what they do is matched to their record; the groups they
belong to must exist."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from pydantic import BaseModel
from sqlalchemy.ext.asyncio import AsyncSession

from guichet_common.http import InvalidInput, NotFound, check_if_match
from guichet_common.logging import get_logger
from guichet_common.pagination import Paged, PageRequest
from ticketing.errors import AlreadyExists
from ticketing.staff import repository
from ticketing.staff.models import SupportGroup, Technician
from ticketing.staff.schemas import GroupIn, GroupPatch, TechnicianIn, TechnicianPatch

log = get_logger(__name__)


def _apply(entity: SupportGroup | Technician, data: BaseModel) -> list[str]:
    """Set the fields a patch sent that differ; the names of those (none: nothing to
    write)."""
    sent: dict[str, Any] = data.model_dump(exclude_unset=True)
    changed = {name: value for name, value in sent.items() if getattr(entity, name) != value}
    for name, value in changed.items():
        setattr(entity, name, value)
    return sorted(changed)


# --- support groups --------------------------------------------------------------------------


async def get_group(session: AsyncSession, code: str, *, for_update: bool = False) -> SupportGroup:
    group = await repository.find_group(session, code, for_update=for_update)
    if group is None:
        raise NotFound(f"no support group {code}")
    return group


async def list_groups(
    session: AsyncSession, page: PageRequest, *, active: bool | None = None
) -> Paged[SupportGroup]:
    return await repository.list_groups(session, page, active=active)


async def create_group(session: AsyncSession, data: GroupIn, *, actor: str) -> SupportGroup:
    """A new group (409 on a code taken)."""
    group = SupportGroup(**data.model_dump())
    if not await repository.insert_unless_taken(session, group):
        raise AlreadyExists(
            f"a support group with the code {data.code} already exists", field="code"
        )
    log.info("support group created", group=group.code, actor=actor)
    return group


async def update_group(
    session: AsyncSession, code: str, data: GroupPatch, *, if_match: str | None, actor: str
) -> SupportGroup:
    """Only the fields sent change; a patch that changes nothing writes nothing."""
    group = await get_group(session, code, for_update=True)
    check_if_match(if_match, group.version)
    changed = _apply(group, data)
    if changed:
        await repository.save(session, group)
        log.info("support group updated", group=group.code, actor=actor, fields=changed)
    return group


# --- technicians -----------------------------------------------------------------------------


async def _check_groups(session: AsyncSession, codes: Sequence[str]) -> None:
    """422 naming `group_codes.N` for the first code that is no group."""
    existing = await repository.existing_group_codes(session, codes)
    for index, code in enumerate(codes):
        if code not in existing:
            raise InvalidInput(f"no support group {code}", field=f"group_codes.{index}")


async def get_technician(
    session: AsyncSession, login: str, *, for_update: bool = False
) -> Technician:
    technician = await repository.find_technician(session, login, for_update=for_update)
    if technician is None:
        raise NotFound(f"no technician {login}")
    return technician


async def list_technicians(
    session: AsyncSession,
    page: PageRequest,
    *,
    active: bool | None = None,
    group: str | None = None,
) -> Paged[Technician]:
    return await repository.list_technicians(session, page, active=active, group=group)


async def create_technician(session: AsyncSession, data: TechnicianIn, *, actor: str) -> Technician:
    """A new technician (409 on a login taken; 422 on a group that does not exist)."""
    await _check_groups(session, data.group_codes)
    technician = Technician(**data.model_dump())
    if not await repository.insert_unless_taken(session, technician):
        raise AlreadyExists(
            f"a technician with the login {data.login} already exists", field="login"
        )
    log.info("technician created", technician=technician.login, actor=actor)
    return technician


async def update_technician(
    session: AsyncSession, login: str, data: TechnicianPatch, *, if_match: str | None, actor: str
) -> Technician:
    """Only the fields sent change; a patch that changes nothing writes nothing."""
    technician = await get_technician(session, login, for_update=True)
    check_if_match(if_match, technician.version)
    if data.group_codes is not None:
        await _check_groups(session, data.group_codes)
    changed = _apply(technician, data)
    if changed:
        await repository.save(session, technician)
        log.info("technician updated", technician=technician.login, actor=actor, fields=changed)
    return technician
