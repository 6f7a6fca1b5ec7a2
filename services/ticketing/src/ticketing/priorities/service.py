"""Priority from urgency and impact, through the configured matrix, and the matrix's
replacement by a supervisor."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from guichet_common.events import utcnow
from guichet_common.http import check_if_match
from guichet_common.logging import get_logger
from ticketing.priorities import repository
from ticketing.priorities.models import PriorityMatrix
from ticketing.priorities.schemas import MatrixIn

log = get_logger(__name__)


async def compute(session: AsyncSession, urgency: int, impact: int) -> int:
    """The matrix's cell for (urgency, impact), both 1-5."""
    matrix = await repository.get(session)
    return matrix.cells[urgency - 1][impact - 1]


async def get_matrix(session: AsyncSession) -> PriorityMatrix:
    return await repository.get(session)


async def replace_matrix(
    session: AsyncSession,
    data: MatrixIn,
    *,
    if_match: str | None,
    actor: str,
    now: datetime | None = None,
) -> PriorityMatrix:
    """Every cell at once (the schema has checked the shape and the 1-5 range). Tickets
    keep the priority they were given; new ones and new urgency/impact use this. The same
    cells again write nothing."""
    matrix = await repository.get_for_update(session)
    check_if_match(if_match, matrix.version)
    if data.cells == matrix.cells:
        return matrix
    matrix.cells = data.cells
    matrix.updated_by = actor
    matrix.updated_at = now or utcnow()
    await repository.save(session, matrix)
    log.info("priority matrix replaced", actor=actor, version=matrix.version)
    return matrix
