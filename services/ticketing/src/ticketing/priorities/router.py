"""`/api/ticketing/settings/priority-matrix`: the urgency x impact matrix that gives a
ticket its priority. Everyone who reads tickets may read it (the intake form shows what
urgency and impact lead to); only a supervisor replaces it."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Response

from guichet_common.http import PRECONDITION_RESPONSES, PROBLEM, IfMatch, SessionDep, etag_for
from ticketing.deps import SupervisorWrites, TicketReads
from ticketing.priorities import service
from ticketing.priorities.schemas import MatrixIn, MatrixOut

router = APIRouter(tags=["priorities"])

MATRIX = "/settings/priority-matrix"
WRITE_RESPONSES: dict[int | str, dict[str, Any]] = {
    403: PROBLEM,
    422: PROBLEM,
    **PRECONDITION_RESPONSES,
}


@router.get(MATRIX, response_model=MatrixOut, responses={403: PROBLEM})
async def get_priority_matrix(
    response: Response, session: SessionDep, _caller: TicketReads
) -> MatrixOut:
    """`cells[urgency - 1][impact - 1]` is the priority a ticket gets (GLPI's matrix by
    default), with the levels' French labels."""
    matrix = await service.get_matrix(session)
    response.headers["ETag"] = etag_for(matrix.version)
    return MatrixOut.of(matrix)


@router.put(MATRIX, response_model=MatrixOut, responses=WRITE_RESPONSES)
async def replace_priority_matrix(
    data: MatrixIn,
    response: Response,
    session: SessionDep,
    supervisor: SupervisorWrites,
    if_match: IfMatch = None,
) -> MatrixOut:
    """All 5x5 cells, each 1 to 5 (6, « Majeure », is only ever set by hand on a ticket:
    in the matrix it is a 422 naming the cell, `cells.2.4`). Tickets already open keep
    their priority. Needs the ETag read with `If-Match`."""
    matrix = await service.replace_matrix(
        session, data, if_match=if_match, actor=supervisor.subject
    )
    response.headers["ETag"] = etag_for(matrix.version)
    return MatrixOut.of(matrix)
