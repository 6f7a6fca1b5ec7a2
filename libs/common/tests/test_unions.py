"""A tagged body's errors are named as the client wrote the fields, and a missing or
unknown tag still has the other fields checked."""

from __future__ import annotations

from typing import Annotated, Any, Literal

import pytest
from pydantic import (
    BaseModel,
    Field,
    RootModel,
    ValidationError,
    ValidatorFunctionWrapHandler,
    model_validator,
)

from guichet_common.unions import located


class Solve(BaseModel):
    action: Literal["solve"]
    solution: str = Field(min_length=1)


class Pend(BaseModel):
    action: Literal["pend"]
    reason: Literal["user", "part"]


class Command(RootModel[Annotated[Solve | Pend, Field(discriminator="action")]]):
    @model_validator(mode="wrap")
    @classmethod
    def _locate(cls, value: Any, handler: ValidatorFunctionWrapHandler) -> Any:
        try:
            return handler(value)
        except ValidationError as exc:
            raise located(
                exc, value, tag="action", tags=("solve", "pend"), members=(Solve, Pend)
            ) from None


def fields(body: dict[str, Any]) -> list[str]:
    with pytest.raises(ValidationError) as raised:
        Command.model_validate(body)
    return [".".join(map(str, error["loc"])) for error in raised.value.errors()]


def test_a_member_s_error_is_named_as_sent() -> None:
    assert fields({"action": "solve", "solution": ""}) == ["solution"]


def test_a_bad_tag_names_the_tag_and_every_wrong_field() -> None:
    assert fields({"action": "fly", "solution": "", "reason": "boss"}) == [
        "action",
        "solution",
        "reason",
    ]
    assert fields({"reason": "user"}) == ["action"]  # a right field is not named


def test_a_valid_body_passes() -> None:
    assert isinstance(Command.model_validate({"action": "pend", "reason": "part"}).root, Pend)
