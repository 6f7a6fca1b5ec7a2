"""Gap-free yearly references (`INC-2026-000123`)."""

from __future__ import annotations

from sqlalchemy import Table
from sqlalchemy.ext.asyncio import AsyncSession

from guichet_common.references import counter_upsert, take_next
from ticketing.numbering.models import ReferenceCounter

_counter = ReferenceCounter.__table__
assert isinstance(_counter, Table)
_TAKE_NEXT = counter_upsert(_counter)


async def next_reference(session: AsyncSession, kind: str, year: int) -> str:
    """The next reference of the year, gap-free (`guichet_common.references.take_next`):
    take it as late as the transaction allows."""
    value = await take_next(session, _TAKE_NEXT, kind, year)
    return f"{kind}-{year}-{value:06d}"
