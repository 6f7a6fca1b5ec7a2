"""`/api/ticketing/categories…`: the category tree. Everyone who opens tickets reads it (the
intake form is built from it); only a supervisor changes it.

Guichet never asks for a password: a category whose fields name one (key or label:
`password`, `mot de passe`, `mdp`) is refused with a 422 naming the field."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Response

from guichet_common.http import PRECONDITION_RESPONSES, PROBLEM, IfMatch, SessionDep, etag_for
from guichet_common.idempotency import IdempotencyKey, begin_idempotent
from guichet_common.text import Text
from ticketing.categories import service
from ticketing.categories.schemas import CategoryIn, CategoryOut, CategoryPatch, CategoryTree
from ticketing.db import plumbing
from ticketing.deps import SupervisorWrites, TicketReads

router = APIRouter(tags=["categories"])

READ_RESPONSES: dict[int | str, dict[str, Any]] = {403: PROBLEM, 404: PROBLEM}
CREATE_RESPONSES: dict[int | str, dict[str, Any]] = {403: PROBLEM, 409: PROBLEM, 422: PROBLEM}
WRITE_RESPONSES: dict[int | str, dict[str, Any]] = {
    **READ_RESPONSES,
    422: PROBLEM,
    **PRECONDITION_RESPONSES,
}

CATEGORY = "/categories/{code}"


def _out(placed: service.PlacedCategory) -> CategoryOut:
    return CategoryOut.of(placed.category, placed.path)


@router.get("/categories", response_model=CategoryTree, responses={403: PROBLEM})
async def list_categories(
    session: SessionDep, _caller: TicketReads, active: bool | None = None
) -> CategoryTree:
    """The whole tree in one answer, not paged: a few dozen rows, which the intake form
    needs all at once. Each category comes before its children, siblings by position
    then code, with its `depth` and `path_label` (`Matériel \u203a Remplacement de poste`).
    `active` filters on each category's own flag."""
    return CategoryTree(
        items=[_out(placed) for placed in await service.tree(session, active=active)]
    )


@router.post("/categories", status_code=201, response_model=CategoryOut, responses=CREATE_RESPONSES)
async def create_category(
    data: CategoryIn,
    response: Response,
    session: SessionDep,
    supervisor: SupervisorWrites,
    idempotency_key: IdempotencyKey = None,
) -> Any:
    """A new category (409 `already-exists` on a code taken), under `parent_code` or at
    the root, after its siblings unless `position` is given. Its fields' keys are unique,
    a `choice`/`choices` field lists its choices, a `text` field none. With an
    `Idempotency-Key`, a retry returns the first answer."""
    idempotent = await begin_idempotent(
        session,
        plumbing,
        "category",
        idempotency_key,
        data.model_dump(mode="json"),
        owner=supervisor.subject,
    )
    if idempotent.replay is not None:
        return idempotent.replay
    placed = await service.create(session, data, actor=supervisor.subject)
    created = _out(placed)
    await idempotent.complete_created(session, response, created, placed.category.version)
    return created


@router.get(CATEGORY, response_model=CategoryOut, responses=READ_RESPONSES)
async def get_category(
    code: Text, response: Response, session: SessionDep, _caller: TicketReads
) -> CategoryOut:
    placed = await service.get(session, code)
    response.headers["ETag"] = etag_for(placed.category.version)
    return _out(placed)


@router.patch(CATEGORY, response_model=CategoryOut, responses=WRITE_RESPONSES)
async def update_category(
    code: Text,
    data: CategoryPatch,
    response: Response,
    session: SessionDep,
    supervisor: SupervisorWrites,
    if_match: IfMatch = None,
) -> CategoryOut:
    """Only the fields sent change (the code never does); a new `parent_code` may not be
    the category or one of its descendants. Tickets already open keep the fields and
    tasks they were given. Needs the ETag read with `If-Match`."""
    placed = await service.update(session, code, data, if_match=if_match, actor=supervisor.subject)
    response.headers["ETag"] = etag_for(placed.category.version)
    return _out(placed)
