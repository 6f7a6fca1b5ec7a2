"""Gap-free yearly references (`DEM-2026-0021`, `DEV-2026-0017`)."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import bindparam
from sqlalchemy.dialects.postgresql import insert

from garage.numbering.models import reference_counter
from guichet_common.db import Database, Rows, fetch_scalar

_TAKE = (
    insert(reference_counter)
    .values(kind=bindparam("kind"), year=bindparam("year"), last_value=bindparam("count"))
    .on_conflict_do_update(
        index_elements=["kind", "year"],
        set_={"last_value": reference_counter.c.last_value + bindparam("count")},
    )
    .returning(reference_counter.c.last_value)
)


async def take_references(
    db: Database, kind: str, year: int, count: int, *, writing: Sequence[Rows] = ()
) -> list[str]:
    """The next `count` numbers, inside the caller's transaction. The counter row stays
    locked until commit, which serialises writers; a rollback gives the numbers back, so
    there are no gaps. `writing`: rows inserted by the same statement."""
    last: int = await fetch_scalar(
        db, _TAKE, {"kind": kind, "year": year, "count": count}, writing=writing
    )
    return [f"{kind}-{year}-{value:04d}" for value in range(last - count + 1, last + 1)]


async def next_reference(db: Database, kind: str, year: int) -> str:
    [reference] = await take_references(db, kind, year, 1)
    return reference
