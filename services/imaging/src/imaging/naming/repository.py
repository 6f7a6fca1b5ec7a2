"""SQL for naming policies and the register of hostnames."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

import asyncpg
from sqlalchemy import (
    Integer,
    String,
    and_,
    bindparam,
    cast,
    delete,
    exists,
    func,
    or_,
    select,
    update,
)
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from guichet_common.pagination import KeysetOrder, Paged, PageRequest, paginate
from imaging.naming.models import HostKind, Hostname, NamingPolicy
from imaging.sites.models import Site

POLICY_ORDER = KeysetOrder((NamingPolicy.created_at, NamingPolicy.id))

# The policy for a site and a kind, most specific first: (site, kind), (site, any),
# (default, kind), (default, any). `false` sorts before `true`.
_policy_for = (
    select(NamingPolicy)
    .where(
        or_(NamingPolicy.site_id == bindparam("site_id"), NamingPolicy.site_id.is_(None)),
        or_(NamingPolicy.host_kind == bindparam("kind"), NamingPolicy.host_kind.is_(None)),
    )
    .order_by(NamingPolicy.site_id.is_(None), NamingPolicy.host_kind.is_(None))
    .limit(1)
)

# The lowest number of a pattern whose name no host holds and no quarantine keeps: the
# numbers 1..capacity against the register, in one statement (an index probe each).
_number = func.generate_series(1, bindparam("capacity", type_=Integer)).column_valued("n")
_candidate = (
    bindparam("head", type_=String)
    + func.lpad(cast(_number, String), bindparam("width", type_=Integer), "0")
    + bindparam("tail", type_=String)
)
_LOWEST_FREE = (
    select(_number)
    .where(
        ~exists().where(
            Hostname.name == _candidate,
            or_(Hostname.free_from.is_(None), Hostname.free_from > bindparam("now")),
        ),
        _candidate.is_distinct_from(bindparam("exclude", type_=String)),
    )
    .order_by(_number)
    .limit(1)
)

# Reserve a name for a host: a new row, or the row of a name whose quarantine is over (or
# one the same host let go: it may take its own name back). Otherwise nothing is written
# and nothing returned. A concurrent reservation of the same name waits on the primary key
# until the first transaction ends, then sees its row: never two holders.
_insert_name = insert(Hostname).values(
    name=bindparam("name"), host_id=bindparam("host_id"), reserved_at=bindparam("now")
)
_RESERVE = _insert_name.on_conflict_do_update(
    index_elements=[Hostname.name],
    set_={
        "host_id": _insert_name.excluded.host_id,
        "reserved_at": _insert_name.excluded.reserved_at,
        "released_at": None,
        "free_from": None,
    },
    where=or_(
        Hostname.free_from <= _insert_name.excluded.reserved_at,
        and_(
            Hostname.host_id == _insert_name.excluded.host_id,
            Hostname.released_at.is_not(None),
        ),
    ),
).returning(Hostname.name)

_RELEASE = (
    update(Hostname)
    .where(
        Hostname.name == bindparam("held_name"),
        Hostname.host_id == bindparam("holder"),
        Hostname.released_at.is_(None),
    )
    .values(released_at=bindparam("now"), free_from=bindparam("until"))
    .returning(Hostname.name)
)
_UNRESERVE = delete(Hostname).where(
    Hostname.name == bindparam("held_name"),
    Hostname.host_id == bindparam("holder"),
    Hostname.released_at.is_(None),
)
_entry = select(Hostname).where(Hostname.name == bindparam("name"))


# --- policies ------------------------------------------------------------------------------


async def save(session: AsyncSession, policy: NamingPolicy) -> None:
    """Write what changed on a loaded policy (its version checked and bumped)."""
    session.add(policy)
    await session.flush()


async def insert_policy(session: AsyncSession, policy: NamingPolicy) -> bool:
    """Insert a new policy; False (nothing written) when its site and kind have one. A
    savepoint keeps the transaction usable, and two concurrent twins end as two in a row."""
    try:
        async with session.begin_nested():
            session.add(policy)
            await session.flush()
    except IntegrityError as exc:
        if isinstance(exc.orig.__cause__ if exc.orig else None, asyncpg.UniqueViolationError):
            return False
        raise
    return True


async def remove(session: AsyncSession, policy: NamingPolicy) -> None:
    """Delete a loaded policy (its version checked)."""
    await session.delete(policy)
    await session.flush()


async def get_policy(
    session: AsyncSession, policy_id: UUID, *, for_update: bool = False
) -> NamingPolicy | None:
    statement = select(NamingPolicy).where(NamingPolicy.id == policy_id)
    if for_update:
        statement = statement.with_for_update(of=NamingPolicy)
    found: NamingPolicy | None = await session.scalar(statement)
    return found


async def find_policy(
    session: AsyncSession, site: Site | None, kind: HostKind | None
) -> NamingPolicy | None:
    """The policy of exactly this site (None: the default ones) and kind (None: any)."""
    statement = select(NamingPolicy).where(
        NamingPolicy.site_id == site.id if site is not None else NamingPolicy.site_id.is_(None),
        NamingPolicy.host_kind == kind if kind is not None else NamingPolicy.host_kind.is_(None),
    )
    found: NamingPolicy | None = await session.scalar(statement)
    return found


async def policy_for(session: AsyncSession, site: Site, kind: HostKind) -> NamingPolicy | None:
    found: NamingPolicy | None = await session.scalar(
        _policy_for, {"site_id": site.id, "kind": kind.value}
    )
    return found


async def list_policies(
    session: AsyncSession,
    page: PageRequest,
    *,
    site: Site | None = None,
    defaults_only: bool = False,
    kind: HostKind | None = None,
) -> Paged[NamingPolicy]:
    statement = select(NamingPolicy)
    if site is not None:
        statement = statement.where(NamingPolicy.site_id == site.id)
    if defaults_only:
        statement = statement.where(NamingPolicy.site_id.is_(None))
    if kind is not None:
        statement = statement.where(NamingPolicy.host_kind == kind)
    return await paginate(session, statement, POLICY_ORDER, page)


# --- the register --------------------------------------------------------------------------


async def lowest_free(
    session: AsyncSession,
    *,
    head: str,
    width: int,
    tail: str,
    now: datetime,
    exclude: str | None = None,
) -> int | None:
    """The lowest number whose name is free at `now` (`exclude` aside); None when all are
    held or quarantined."""
    found: int | None = await session.scalar(
        _LOWEST_FREE,
        {
            "capacity": 10**width - 1,
            "head": head,
            "width": width,
            "tail": tail,
            "now": now,
            "exclude": exclude,
        },
    )
    return found


async def reserve(session: AsyncSession, name: str, host_id: UUID, now: datetime) -> bool:
    """Whether the host now holds `name` (False: another holds it or keeps it quarantined)."""
    taken = await session.execute(_RESERVE, {"name": name, "host_id": host_id, "now": now})
    return taken.first() is not None


async def release(
    session: AsyncSession, name: str, host_id: UUID, now: datetime, free_from: datetime
) -> bool:
    """The host lets its name go: quarantined until `free_from`. False if it did not hold it."""
    released = await session.execute(
        _RELEASE, {"held_name": name, "holder": host_id, "now": now, "until": free_from}
    )
    return released.first() is not None


async def unreserve(session: AsyncSession, name: str, host_id: UUID) -> None:
    """Forget a reservation whose host was not written after all: the name is free."""
    await session.execute(_UNRESERVE, {"held_name": name, "holder": host_id})


async def entry(session: AsyncSession, name: str) -> Hostname | None:
    """The register's row of a name (held or quarantined), if any."""
    found: Hostname | None = await session.scalar(_entry, {"name": name})
    return found
