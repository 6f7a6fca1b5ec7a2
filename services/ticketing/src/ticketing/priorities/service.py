"""Priority from urgency and impact, through the configured matrix."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from ticketing.priorities import repository


async def compute(session: AsyncSession, urgency: int, impact: int) -> int:
    """The matrix's cell for (urgency, impact), both 1-5."""
    matrix = await repository.get(session)
    return matrix.cells[urgency - 1][impact - 1]
