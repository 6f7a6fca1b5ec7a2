"""Gap-free yearly references (`DEM-2026-0021`, `DEV-2026-0017`)."""

from __future__ import annotations

from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from garage.numbering.models import ReferenceCounter


async def next_reference(session: AsyncSession, kind: str, year: int) -> str:
    """The next number of the year, inside the caller's transaction. The counter row stays
    locked until commit, which serialises writers; a rollback gives the number back, so
    there are no gaps."""
    taken = (
        insert(ReferenceCounter)
        .values(kind=kind, year=year, last_value=1)
        .on_conflict_do_update(
            index_elements=[ReferenceCounter.kind, ReferenceCounter.year],
            set_={"last_value": ReferenceCounter.last_value + 1},
        )
        .returning(ReferenceCounter.last_value)
    )
    value: int = (await session.execute(taken)).scalar_one()
    return f"{kind}-{year}-{value:04d}"
