"""Gap-free yearly references (`DEM-2026-0021`, `DEV-2026-0017`)."""

from __future__ import annotations

from sqlalchemy import Table
from sqlalchemy.ext.asyncio import AsyncSession

from garage.numbering.models import ReferenceCounter
from guichet_common.references import counter_upsert, take_next

_counter = ReferenceCounter.__table__
assert isinstance(_counter, Table)
_TAKE_NEXT = counter_upsert(_counter)


async def next_reference(session: AsyncSession, kind: str, year: int) -> str:
    """The next reference of the year, gap-free (`guichet_common.references.take_next`):
    take it as late as the transaction allows."""
    value = await take_next(session, _TAKE_NEXT, kind, year)
    return f"{kind}-{year}-{value:04d}"
