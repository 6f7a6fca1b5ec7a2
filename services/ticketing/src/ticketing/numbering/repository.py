"""Gap-free yearly references (`INC-2026-000123`)."""

from __future__ import annotations

from sqlalchemy import Table, bindparam
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from ticketing.numbering.models import ReferenceCounter

_counter = ReferenceCounter.__table__
assert isinstance(_counter, Table)
# Built once: the same statement serves every call, only its parameters change.
_TAKE_NEXT = (
    insert(_counter)
    .values(kind=bindparam("kind"), year=bindparam("year"), last_value=1)
    .on_conflict_do_update(
        index_elements=[_counter.c.kind, _counter.c.year],
        set_={"last_value": _counter.c.last_value + 1},
    )
    .returning(_counter.c.last_value)
)


async def next_reference(session: AsyncSession, kind: str, year: int) -> str:
    """The next number of the year, inside the caller's transaction. The counter row stays
    locked until commit, which serialises writers (take it as late as the transaction
    allows); a rollback gives the number back, so there are no gaps."""
    value: int = (await session.execute(_TAKE_NEXT, {"kind": kind, "year": year})).scalar_one()
    return f"{kind}-{year}-{value:06d}"
