"""Gap-free yearly references (`DEM-2026-0021`, `DEV-2026-0017`)."""

from __future__ import annotations

from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from garage.numbering.models import reference_counter


async def take_references(session: AsyncSession, kind: str, year: int, count: int) -> list[str]:
    """The next `count` numbers, inside the caller's transaction. The counter row stays
    locked until commit, which serialises writers; a rollback gives the numbers back, so
    there are no gaps."""
    statement = (
        insert(reference_counter)
        .values(kind=kind, year=year, last_value=count)
        .on_conflict_do_update(
            index_elements=["kind", "year"],
            set_={"last_value": reference_counter.c.last_value + count},
        )
        .returning(reference_counter.c.last_value)
    )
    last = (await session.execute(statement)).scalar_one()
    return [f"{kind}-{year}-{value:04d}" for value in range(last - count + 1, last + 1)]


async def next_reference(session: AsyncSession, kind: str, year: int) -> str:
    [reference] = await take_references(session, kind, year, 1)
    return reference
