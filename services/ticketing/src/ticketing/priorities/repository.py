"""The priority matrix's one row."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from ticketing.priorities.models import PriorityMatrix


async def get(session: AsyncSession) -> PriorityMatrix:
    """The matrix (seeded by the migration: it always exists)."""
    matrix = await session.get(PriorityMatrix, 1)
    assert matrix is not None, "the migration seeds the priority matrix"
    return matrix
