"""Strings as PostgreSQL can store them: no NUL character (`\\x00`), which `text` and
`jsonb` refuse (a 500 if it reaches them).

Every string a request brings, body, query or path, is one of these two types:
- `Text`, what people type: a NUL is a mistake or an attack, refused (422 naming the
  field), so nothing is stored that the person did not see;
- `MachineText`, what machines send (an agent's inventory read from firmware or the
  registry, where NUL padding is common): the NULs are removed, the rest kept.
"""

from __future__ import annotations

import re
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


# People's contact details, as every form takes them.
_PHONE = re.compile(r"^\+?[0-9 .()-]+$")
_EMAIL = re.compile(
    r"^[^@\s]{1,64}@"  # the local part as the mailbox's owner spells it
    r"([A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z]{2,63}$"  # a DNS name
)


def _email(value: str) -> str:
    if len(value) > 254 or not _EMAIL.match(value):
        raise ValueError("not an e-mail address (name@example.org)")
    local, domain = value.rsplit("@", 1)
    return f"{local}@{domain.lower()}"


def _phone(value: str) -> str:
    if not _PHONE.match(value) or sum(c.isdigit() for c in value) < 6:
        raise ValueError("at least 6 digits; spaces, dots, hyphens, parentheses, a leading +")
    return value


Email = Annotated[
    Text, Field(max_length=254, json_schema_extra={"format": "email"}), AfterValidator(_email)
]
Phone = Annotated[Text, Field(max_length=30), AfterValidator(_phone)]
