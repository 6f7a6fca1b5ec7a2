"""What the API accepts and returns about the priority matrix; the French labels of the
levels."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, Strict

from ticketing.priorities.models import PriorityMatrix

SIZE = 5
# Urgency, impact and the priorities the matrix gives. 6 (« Majeure ») is not here: only a
# person sets it, by hand, on a ticket.
LEVEL_LABELS: dict[int, str] = {
    1: "Très basse",
    2: "Basse",
    3: "Moyenne",
    4: "Haute",
    5: "Très haute",
}


def _matrix_level(value: int) -> int:
    # Said here rather than by `le=5`, so that the 422 tells why 6 is refused.
    if not 1 <= value <= SIZE:
        raise ValueError("a priority from 1 to 5; 6 (Majeure) is only ever set by hand on a ticket")
    return value


Cell = Annotated[
    int,
    Strict(),
    AfterValidator(_matrix_level),
    Field(json_schema_extra={"minimum": 1, "maximum": SIZE}),
]
Row = Annotated[list[Cell], Field(min_length=SIZE, max_length=SIZE, description="Impact 1 to 5")]


class MatrixIn(BaseModel):
    """The whole matrix: `cells[urgency - 1][impact - 1]` is the priority (1-5)."""

    model_config = ConfigDict(extra="forbid")

    cells: Annotated[
        list[Row], Field(min_length=SIZE, max_length=SIZE, description="Urgency 1 to 5")
    ]


class MatrixOut(BaseModel):
    cells: list[list[int]] = Field(description="`cells[urgency - 1][impact - 1]`")
    rows: Literal["urgency"] = "urgency"
    columns: Literal["impact"] = "impact"
    labels: dict[str, str] = Field(description="The levels' French labels, by level")
    updated_by: str | None = Field(description="Who last replaced it (null: the default)")
    updated_at: datetime

    @classmethod
    def of(cls, matrix: PriorityMatrix) -> MatrixOut:
        return cls(
            cells=matrix.cells,
            labels={str(level): label for level, label in LEVEL_LABELS.items()},
            updated_by=matrix.updated_by,
            updated_at=matrix.updated_at,
        )
