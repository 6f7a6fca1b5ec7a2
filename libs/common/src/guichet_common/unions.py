"""Request bodies that are one of several shapes picked by a tag (`{"action": "solve", …}`,
`{"mode": "remote", …}`), with errors named as the client wrote them.

Pydantic locates a tagged union's errors behind the chosen member (`solve.solution`) and,
when the tag is missing or unknown, says only that. The API names fields as sent
(`solution`), and with a bad tag it still checks every other field against the members
that take it, so that one answer names everything to correct."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from pydantic import BaseModel, ValidationError
from pydantic_core import ErrorDetails, InitErrorDetails, PydanticCustomError

_TAG_ERRORS = frozenset({"union_tag_invalid", "union_tag_not_found"})


def located(
    exc: ValidationError,
    value: Any,
    *,
    tag: str,
    tags: Iterable[str],
    members: Sequence[type[BaseModel]],
) -> ValidationError:
    """`exc` (raised validating `value` against the union of `members`, told apart by
    their field `tag` whose values are `tags`) with each error where the client put it."""
    tag_values = [str(value) for value in tags]
    errors = exc.errors()
    if isinstance(value, dict) and any(error["type"] in _TAG_ERRORS for error in errors):
        errors += _field_errors(value, tag, members)
    return ValidationError.from_exception_data(
        exc.title, [_relocated(error, tag, tag_values) for error in errors]
    )


def _relocated(error: ErrorDetails, tag: str, tags: list[str]) -> InitErrorDetails:
    location, message = tuple(error["loc"]), error["msg"]
    if error["type"] in _TAG_ERRORS:
        location, message = (tag,), f"must be one of: {', '.join(tags)}"
    elif location and location[0] in tags:
        location = location[1:]
    return InitErrorDetails(
        type=PydanticCustomError(error["type"], message), loc=location, input=error["input"]
    )


def _field_errors(
    value: dict[str, Any], tag: str, members: Sequence[type[BaseModel]]
) -> list[ErrorDetails]:
    """Without a known tag, what is wrong with the other fields sent: each checked against
    the members that take it (wrong if it fits none)."""
    errors: list[ErrorDetails] = []
    for name, field_value in value.items():
        takers = [member for member in members if name in member.model_fields]
        if name == tag or not takers:
            continue
        refusals = [_refusal(member, name, field_value) for member in takers]
        if all(refusals):
            # Each way it is wrong, once (`reason` is a pend reason or a free text).
            kinds = {error["type"]: error for refusal in refusals for error in refusal}
            errors += kinds.values()
    return errors


def _refusal(member: type[BaseModel], name: str, value: Any) -> list[ErrorDetails]:
    """Why `member` would refuse `value` as its field `name` (nothing: it takes it)."""
    try:
        member.__pydantic_validator__.validate_assignment(member.model_construct(), name, value)
    except ValidationError as exc:
        return exc.errors()
    return []
