"""`/api/ticketing/settings/priority-matrix`: GLPI's matrix by default, read by everyone
who reads tickets, replaced by a supervisor only, 1 to 5 in every cell."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from ticketing.priorities import service
from ticketing.priorities.models import DEFAULT_MATRIX

from ..conftest import Kit, fields_named

pytestmark = pytest.mark.integration

MATRIX = "/api/ticketing/settings/priority-matrix"
# Every cell one level higher, capped at 5.
RAISED = [[min(cell + 1, 5) for cell in row] for row in DEFAULT_MATRIX]


@pytest.fixture
async def restored(engine: AsyncEngine) -> AsyncIterator[None]:
    """The matrix is one row shared by every test of the run: GLPI's again afterwards."""
    yield
    async with engine.begin() as conn:
        await conn.execute(
            text(
                "UPDATE ticketing.priority_matrix SET cells = CAST(:cells AS jsonb), "
                "updated_by = NULL, version = version + 1"
            ),
            {"cells": str(DEFAULT_MATRIX)},
        )


async def compute(kit: Kit, urgency: int, impact: int) -> int:
    async with AsyncSession(kit.engine) as session:
        return await service.compute(session, urgency, impact)


async def put(kit: Kit, body: Any, etag: str | None, headers: dict[str, str] | None = None) -> Any:
    extra = {"If-Match": etag} if etag is not None else {}
    return await kit.client.put(MATRIX, json=body, headers={**(headers or kit.supervisor), **extra})


async def test_the_default_is_glpis_matrix_with_french_labels(kit: Kit) -> None:
    read = await kit.client.get(MATRIX, headers=kit.requester())
    assert read.status_code == 200, read.text
    assert read.headers["ETag"]
    matrix = read.json()
    assert matrix["cells"] == DEFAULT_MATRIX
    assert (matrix["rows"], matrix["columns"]) == ("urgency", "impact")
    assert matrix["labels"] == {
        "1": "Très basse",
        "2": "Basse",
        "3": "Moyenne",
        "4": "Haute",
        "5": "Très haute",
    }
    assert matrix["updated_by"] is None
    # rows are urgency, columns impact: cells[urgency - 1][impact - 1]
    assert matrix["cells"][4][4] == 5
    assert matrix["cells"][0][0] == 1
    assert matrix["cells"][2][3] == 4
    assert matrix["cells"][3][1] == 3


@pytest.mark.parametrize(
    ("urgency", "impact", "priority"),
    [(5, 5, 5), (1, 1, 1), (3, 4, 4), (4, 2, 3), (1, 5, 2), (5, 1, 2), (2, 4, 3)],
)
async def test_compute_reads_glpis_default(
    kit: Kit, urgency: int, impact: int, priority: int
) -> None:
    assert await compute(kit, urgency, impact) == priority


@pytest.mark.parametrize("role", ["technician", "supervisor", "requester"])
async def test_everyone_who_reads_tickets_reads_the_matrix(kit: Kit, role: str) -> None:
    assert (await kit.client.get(MATRIX, headers=kit.token(role))).status_code == 200


async def test_nobody_without_a_ticketing_role_reads_it(kit: Kit) -> None:
    assert (await kit.client.get(MATRIX)).status_code == 401
    assert (await kit.client.get(MATRIX, headers=kit.token("garage_teacher"))).status_code == 403


@pytest.mark.usefixtures("restored")
async def test_a_supervisor_replaces_it_and_compute_follows(kit: Kit) -> None:
    etag = await kit.etag(MATRIX)
    replaced = await put(kit, {"cells": RAISED}, etag)
    assert replaced.status_code == 200, replaced.text
    assert replaced.headers["ETag"] != etag
    assert replaced.json()["cells"] == RAISED
    assert replaced.json()["updated_by"] == "super1"

    read = await kit.client.get(MATRIX, headers=kit.technician)
    assert read.json() == replaced.json()
    assert read.headers["ETag"] == replaced.headers["ETag"]
    assert await compute(kit, 1, 1) == 2
    assert await compute(kit, 3, 4) == 5
    assert await compute(kit, 5, 5) == 5


async def test_the_same_cells_again_change_nothing(kit: Kit) -> None:
    before = await kit.client.get(MATRIX, headers=kit.supervisor)
    again = await put(kit, {"cells": DEFAULT_MATRIX}, before.headers["ETag"])
    assert again.status_code == 200, again.text
    assert again.headers["ETag"] == before.headers["ETag"]
    assert again.json() == before.json()


async def test_a_replacement_needs_the_etag(kit: Kit) -> None:
    before = await kit.client.get(MATRIX, headers=kit.supervisor)

    missing = await put(kit, {"cells": RAISED}, None)
    assert missing.status_code == 428, missing.text
    assert missing.json()["type"] == "urn:guichet:problem:precondition-required"
    stale = await put(kit, {"cells": RAISED}, '"0"')
    assert stale.status_code == 412, stale.text
    assert stale.json()["type"] == "urn:guichet:problem:precondition-failed"
    assert stale.json()["etag"] == before.headers["ETag"]

    after = await kit.client.get(MATRIX, headers=kit.supervisor)
    assert after.json() == before.json()
    assert after.headers["ETag"] == before.headers["ETag"]
    assert await compute(kit, 1, 1) == 1


def with_cell(urgency: int, impact: int, value: Any) -> list[list[Any]]:
    cells: list[list[Any]] = [list(row) for row in DEFAULT_MATRIX]
    cells[urgency][impact] = value
    return cells


@pytest.mark.parametrize(
    ("cells", "field"),
    [
        # 6 (Majeure) is only ever set by hand on a ticket.
        (with_cell(2, 4, 6), "cells.2.4"),
        (with_cell(0, 1, 0), "cells.0.1"),
        (with_cell(4, 0, -1), "cells.4.0"),
        (with_cell(1, 1, "3"), "cells.1.1"),
        (with_cell(1, 2, 2.5), "cells.1.2"),
        (DEFAULT_MATRIX[:4], "cells"),
        ([*DEFAULT_MATRIX, [1, 1, 1, 1, 1]], "cells"),
        ([*DEFAULT_MATRIX[:2], [2, 2, 3, 4], *DEFAULT_MATRIX[3:]], "cells.2"),
        ([*DEFAULT_MATRIX[:2], [2, 2, 3, 4, 4, 4], *DEFAULT_MATRIX[3:]], "cells.2"),
    ],
)
async def test_a_matrix_out_of_range_or_shape_is_refused(
    kit: Kit, cells: list[list[Any]], field: str
) -> None:
    before = await kit.client.get(MATRIX, headers=kit.supervisor)
    refused = await put(kit, {"cells": cells}, before.headers["ETag"])
    assert refused.status_code == 422, refused.text
    assert refused.json()["type"] == "urn:guichet:problem:validation-error"
    assert fields_named(refused) == [field]
    after = await kit.client.get(MATRIX, headers=kit.supervisor)
    assert after.headers["ETag"] == before.headers["ETag"]


async def test_six_is_refused_with_the_reason(kit: Kit) -> None:
    refused = await put(kit, {"cells": with_cell(2, 4, 6)}, await kit.etag(MATRIX))
    assert "Majeure" in refused.json()["errors"][0]["message"]


@pytest.mark.parametrize("role", ["technician", "requester"])
async def test_only_a_supervisor_replaces_it(kit: Kit, role: str) -> None:
    etag = await kit.etag(MATRIX)
    refused = await put(kit, {"cells": RAISED}, etag, kit.token(role))
    assert refused.status_code == 403, refused.text
    assert (await kit.client.get(MATRIX, headers=kit.supervisor)).json()["cells"] == (
        DEFAULT_MATRIX
    )
