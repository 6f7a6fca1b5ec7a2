"""Strings as PostgreSQL can store them: no NUL character (`\\x00`), which `text` and
`jsonb` refuse (a 500 if it reaches them).

Every string a request brings, body, query or path, is one of these two types:
- `Text`, what people type: a NUL is a mistake or an attack, refused (422 naming the
  field), so nothing is stored that the person did not see;
- `MachineText`, what machines send (an agent's inventory read from firmware or the
  registry, where NUL padding is common): the NULs are removed, the rest kept.
"""

from __future__ import annotations

from typing import Annotated

from pydantic import AfterValidator, Field
from pydantic_core import PydanticCustomError

NUL = "\x00"


def refuse_nul(value: str) -> str:
    if NUL in value:
        raise PydanticCustomError("nul_character", "must not contain a NUL character (\\x00)")
    return value


def strip_nul(value: str) -> str:
    return value.replace(NUL, "")


Text = Annotated[str, AfterValidator(refuse_nul)]
# Its OpenAPI schema says so (`x-nul: stripped`), for clients and for the suite's sweep.
MachineText = Annotated[
    str, AfterValidator(strip_nul), Field(json_schema_extra={"x-nul": "stripped"})
]
