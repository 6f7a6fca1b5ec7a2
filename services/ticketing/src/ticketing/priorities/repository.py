"""The priority matrix's one row."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from ticketing.priorities.models import PriorityMatrix

_MATRIX_FOR_UPDATE = (
    select(PriorityMatrix)
    .where(PriorityMatrix.id == 1)
    .with_for_update()
    .execution_options(populate_existing=True)
)


async def get(session: AsyncSession) -> PriorityMatrix:
    """The matrix (seeded by the migration: it always exists)."""
    matrix = await session.get(PriorityMatrix, 1)
    assert matrix is not None, "the migration seeds the priority matrix"
    return matrix


async def get_for_update(session: AsyncSession) -> PriorityMatrix:
    """The matrix, locked until commit: a replacement is checked against what is stored."""
    matrix: PriorityMatrix | None = await session.scalar(_MATRIX_FOR_UPDATE)
    assert matrix is not None, "the migration seeds the priority matrix"
    return matrix


async def save(session: AsyncSession, matrix: PriorityMatrix) -> None:
    """Write what changed (its version checked and bumped)."""
    session.add(matrix)
    await session.flush()
