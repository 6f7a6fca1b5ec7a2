"""Gap-free yearly numbers for human references (`INC-2026-000123`, `DEM-2026-0021`).

Each service keeps its own counter table (kind, year, last_value) in its schema; this is
the statement that takes the next number from it."""

from __future__ import annotations

from sqlalchemy import Insert, Table, bindparam
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession


def counter_upsert(counter: Table) -> Insert:
    """The statement taking the next value of (`kind`, `year`) in `counter`: built once per
    service, at import, only its parameters change."""
    return (
        insert(counter)
        .values(kind=bindparam("kind"), year=bindparam("year"), last_value=1)
        .on_conflict_do_update(
            index_elements=[counter.c.kind, counter.c.year],
            set_={"last_value": counter.c.last_value + 1},
        )
        .returning(counter.c.last_value)
    )


async def take_next(session: AsyncSession, upsert: Insert, kind: str, year: int) -> int:
    """The next number of the year, inside the caller's transaction. The counter row stays
    locked until commit, which serialises writers (take it as late as the transaction
    allows); a rollback gives the number back, so there are no gaps."""
    value: int = (await session.execute(upsert, {"kind": kind, "year": year})).scalar_one()
    return value
