"""Naming policies and the allocation of hostnames.

The policy for a host is the most specific of (site, kind), (site, any kind), (default,
kind), (default, any kind); the default one always exists. Its template, filled in for the
host but for its sequence, is a pattern (`CHECY-PPC-###`); the host gets the pattern's
lowest number whose name is free in the register, found in one statement. Two creates
that pick the same number at once cannot both reserve it (the register's primary key):
the second waits for the first to end, finds the name taken and takes the next free one.
A pattern whose every number is held or quarantined is full: 409, never a shorter name.

The register's rows are reserved and released here; quarantine lengths and the hosts
themselves are the hosts package's."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from sqlalchemy.ext.asyncio import AsyncSession

from guichet_common.events import new_event_id
from guichet_common.http import InvalidInput, NotFound, check_if_match
from guichet_common.pagination import Paged, PageRequest
from imaging.errors import AlreadyExists, InUse, NamesExhausted
from imaging.naming import repository
from imaging.naming.models import HostKind, Hostname, NamingPolicy, netbios_problem
from imaging.naming.schemas import (
    NameValues,
    Pattern,
    PolicyIn,
    PolicyPatch,
    RoomNeeded,
    expand,
    parse_template,
)
from imaging.sites import service as sites
from imaging.sites.models import Site

# --- policies ------------------------------------------------------------------------------


def describe(policy: NamingPolicy) -> str:
    """`the naming policy {prefix}-{nnn} (site CHECY-CLG, laptops)`, for messages."""
    site = f"site {policy.site.code}" if policy.site is not None else "default"
    kind = f"kind {policy.host_kind}" if policy.host_kind is not None else "any kind"
    return f"the naming policy {policy.template} ({site}, {kind})"


async def _site_of(session: AsyncSession, site_code: str | None) -> Site | None:
    if site_code is None:
        return None
    try:
        return await sites.get_site(session, site_code)
    except NotFound as exc:
        raise InvalidInput(f"no site {site_code}", field="site_code") from exc


async def create_policy(session: AsyncSession, data: PolicyIn) -> NamingPolicy:
    """A policy for a site (or for sites without one) and a kind (or any); 409 when that
    site and kind have one already (change its template instead)."""
    site = await _site_of(session, data.site_code)
    policy = NamingPolicy(
        id=new_event_id(),
        site_id=site.id if site is not None else None,
        host_kind=data.kind,
        template=data.template,
    )
    if not await repository.insert_policy(session, policy):
        existing = await repository.find_policy(session, site, data.kind)
        raise AlreadyExists(
            f"{describe(existing)} exists already: change its template"
            if existing is not None
            else "a policy for this site and kind exists already",
            policy_id=str(existing.id) if existing is not None else None,
        )
    return await get_policy(session, policy.id)


async def list_policies(
    session: AsyncSession,
    page: PageRequest,
    *,
    site_code: str | None = None,
    defaults_only: bool = False,
    kind: HostKind | None = None,
) -> Paged[NamingPolicy]:
    site = await _site_of(session, site_code)
    return await repository.list_policies(
        session, page, site=site, defaults_only=defaults_only, kind=kind
    )


async def get_policy(
    session: AsyncSession, policy_id: UUID, *, for_update: bool = False
) -> NamingPolicy:
    policy = await repository.get_policy(session, policy_id, for_update=for_update)
    if policy is None:
        raise NotFound(f"no naming policy {policy_id}")
    return policy


async def update_policy(
    session: AsyncSession, policy_id: UUID, data: PolicyPatch, *, if_match: str | None
) -> NamingPolicy:
    """A new template: hosts named already keep their names."""
    policy = await get_policy(session, policy_id, for_update=True)
    check_if_match(if_match, policy.version)
    if policy.template != data.template:
        policy.template = data.template
        await repository.save(session, policy)
    return policy


async def delete_policy(session: AsyncSession, policy_id: UUID, *, if_match: str | None) -> None:
    """Its hosts fall back on the next policy in line; the default one stays (409)."""
    policy = await get_policy(session, policy_id, for_update=True)
    check_if_match(if_match, policy.version)
    if policy.is_default:
        raise InUse(
            "the default naming policy names the hosts of every site without a policy: "
            "change its template, it cannot be deleted"
        )
    await repository.remove(session, policy)


async def policy_for(session: AsyncSession, site: Site, kind: HostKind) -> NamingPolicy:
    policy = await repository.policy_for(session, site, kind)
    if policy is None:  # the migration seeds it and nothing deletes it
        raise RuntimeError("the default naming policy is missing")
    return policy


# --- hostnames -----------------------------------------------------------------------------


async def pattern_for(
    session: AsyncSession, site: Site, values: NameValues
) -> tuple[NamingPolicy, Pattern]:
    """The policy that names this host and its template filled in for it, all but the
    sequence. 422 when the host lacks what the template needs, or when what it brings
    makes an invalid name (an asset tag that leaves a hyphen at the end…)."""
    policy = await policy_for(session, site, values.kind)
    try:
        pattern = expand(parse_template(policy.template), values)
    except RoomNeeded as exc:
        raise InvalidInput(
            f"{describe(policy)} names hosts after their room: give room_code", field="room_code"
        ) from exc
    example = pattern.name(pattern.capacity)
    problem = netbios_problem(example)
    if problem is not None:
        raise InvalidInput(
            f"{describe(policy)} gives {example!r} for this host, which is not a valid "
            f"hostname ({problem}): give a hostname",
            field="hostname",
        )
    return policy, pattern


async def allocate(
    session: AsyncSession,
    policy: NamingPolicy,
    pattern: Pattern,
    *,
    host_id: UUID,
    now: datetime,
    exclude: str | None = None,
) -> str:
    """Reserve the lowest free name of a pattern with a sequence for the host (`exclude`
    aside: the name a renamed host lets go). 409 when the pattern is full."""
    if pattern.width is None:
        raise ValueError("a pattern without a sequence has one name: reserve it")
    while True:
        number = await repository.lowest_free(
            session,
            head=pattern.head,
            width=pattern.width,
            tail=pattern.tail,
            now=now,
            exclude=exclude,
        )
        if number is None:
            raise NamesExhausted(
                f"{describe(policy)} is full for {pattern}: its {pattern.capacity} names are "
                "all held or in quarantine; give a hostname, or change the template",
                policy_id=str(policy.id),
                template=policy.template,
                pattern=str(pattern),
                capacity=pattern.capacity,
            )
        name = pattern.name(number)
        # Taken meanwhile by a transaction that has now committed: the next free one.
        if await repository.reserve(session, name, host_id, now):
            return name


async def reserve(session: AsyncSession, name: str, host_id: UUID, now: datetime) -> bool:
    """Reserve one name for the host; False when another host holds it or it is in
    quarantine (`entry` says which)."""
    return await repository.reserve(session, name, host_id, now)


async def release(
    session: AsyncSession, name: str, host_id: UUID, *, now: datetime, free_from: datetime
) -> None:
    """The host lets its name go; nobody else may take it before `free_from`."""
    if not await repository.release(session, name, host_id, now, free_from):
        raise RuntimeError(f"host {host_id} does not hold {name}")


async def unreserve(session: AsyncSession, name: str, host_id: UUID) -> None:
    """Give back a name reserved for a host that was not written after all (its
    transaction goes on: an import's next row)."""
    await repository.unreserve(session, name, host_id)


async def entry(session: AsyncSession, name: str) -> Hostname | None:
    return await repository.entry(session, name)
