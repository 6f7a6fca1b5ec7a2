"""What the API accepts and returns about categories."""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field

from guichet_common.text import Text


class FieldKind(StrEnum):
    TEXT = "text"  # free text
    CHOICE = "choice"  # one of `choices`
    CHOICES = "choices"  # one or more of `choices`


class CategoryField(BaseModel):
    """A question a category asks at intake (`account` asks for the class or sector and
    the services whose credentials fail)."""

    model_config = ConfigDict(extra="forbid")

    key: Annotated[Text, Field(pattern=r"^[a-z][a-z0-9_]{0,39}$")]
    label: Annotated[Text, Field(min_length=1, max_length=200)]
    kind: FieldKind = FieldKind.TEXT
    choices: Annotated[
        list[Annotated[Text, Field(min_length=1, max_length=100)]], Field(max_length=50)
    ] = []
    required: bool = False
    help: Annotated[Text | None, Field(max_length=1000)] = None
