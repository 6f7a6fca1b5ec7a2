"""What the API accepts and returns about categories: the intake fields they ask, the
checklist they bring.

Guichet never asks for a password: a field whose key or label names one (`password`,
`mot de passe`, `mdp`) is refused, so no intake form can collect one."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from datetime import datetime
from enum import StrEnum
from typing import Annotated, Any, TypeVar

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ValidationError,
    WithJsonSchema,
    field_validator,
    model_validator,
)
from pydantic_core import InitErrorDetails, PydanticCustomError

from guichet_common.text import Text
from ticketing.categories.models import Category

PATH_SEPARATOR = " \u203a "
# Accents folded, lower case, every run of other characters a space (`mot_de_passe`,
# `Mot-de-passe`, `MDP ENT` all match).
_PASSWORD = re.compile(r"pass ?word|passwd|mot ?de ?passe|\bmdp\b|\bpwd\b")

T = TypeVar("T")


def asks_for_a_password(text: str) -> bool:
    """Whether a field's key or label names a password."""
    decomposed = unicodedata.normalize("NFKD", text.lower())
    folded = "".join(c for c in decomposed if not unicodedata.combining(c))
    return _PASSWORD.search(re.sub(r"[^a-z0-9]+", " ", folded)) is not None


def _no_password(value: str) -> str:
    if asks_for_a_password(value):
        raise PydanticCustomError(
            "password_field",
            "Guichet never asks for a password: a category may not have a password field",
        )
    return value


def _error_at(loc: tuple[int | str, ...], kind: str, message: str, value: Any) -> ValidationError:
    """An error located below the field being validated (`3.key`): pydantic adds the
    field's own location in front, so the 422 names `fields.3.key`."""
    return ValidationError.from_exception_data(
        "category",
        [InitErrorDetails(type=PydanticCustomError(kind, message), loc=loc, input=value)],
    )


def _not_null(value: T | None) -> T:
    if value is None:
        raise ValueError("cannot be null; leave it out to keep it")
    return value


class FieldKind(StrEnum):
    TEXT = "text"  # free text
    CHOICE = "choice"  # one of `choices`
    CHOICES = "choices"  # one or more of `choices`


class CategoryField(BaseModel):
    """A question a category asks at intake (`account` asks for the class or sector and
    the services whose credentials fail). Never a password."""

    model_config = ConfigDict(extra="forbid")

    key: Annotated[Text, Field(pattern=r"^[a-z][a-z0-9_]{0,39}$"), AfterValidator(_no_password)]
    label: Annotated[Text, Field(min_length=1, max_length=200), AfterValidator(_no_password)]
    kind: FieldKind = FieldKind.TEXT
    choices: Annotated[
        list[Annotated[Text, Field(min_length=1, max_length=100)]], Field(max_length=50)
    ] = []
    required: bool = False
    help: Annotated[Text | None, Field(max_length=1000)] = None

    @field_validator("choices")
    @classmethod
    def _choices_differ(cls, choices: list[str]) -> list[str]:
        seen: set[str] = set()
        for index, choice in enumerate(choices):
            if choice in seen:
                raise _error_at(
                    (index,), "choice_repeated", "this choice is already listed", choice
                )
            seen.add(choice)
        return choices

    @model_validator(mode="after")
    def _choices_fit_the_kind(self) -> CategoryField:
        if self.kind is FieldKind.TEXT and self.choices:
            raise _error_at(("choices",), "choices_unexpected", "a text field has no choices", [])
        if self.kind is not FieldKind.TEXT and not self.choices:
            raise _error_at(
                ("choices",), "choices_missing", f"a {self.kind.value} field needs choices", []
            )
        return self


def _keys_differ(fields: list[CategoryField]) -> list[CategoryField]:
    seen: set[str] = set()
    for index, field in enumerate(fields):
        if field.key in seen:
            raise _error_at(
                (index, "key"),
                "key_repeated",
                "another field of the category has this key",
                field.key,
            )
        seen.add(field.key)
    return fields


class TaskLabel(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    label: Annotated[Text, Field(min_length=1, max_length=300)]


def _unwrap_task(value: Any) -> Any:
    """A task is a label or `{"label": …}`; both are kept as the label (the object's
    errors are located below it: `task_template.1.label`)."""
    if isinstance(value, dict):
        return TaskLabel.model_validate(value).label
    return value


_TASK_LABEL_SCHEMA = {"type": "string", "minLength": 1, "maxLength": 300}
Task = Annotated[
    Text,
    Field(min_length=1, max_length=300),
    BeforeValidator(_unwrap_task),
    WithJsonSchema(
        {
            "anyOf": [
                _TASK_LABEL_SCHEMA,
                {
                    "type": "object",
                    "properties": {"label": _TASK_LABEL_SCHEMA},
                    "required": ["label"],
                    "additionalProperties": False,
                },
            ]
        },
        mode="validation",
    ),
]


CategoryCode = Annotated[
    Text,
    Field(
        pattern=r"^[a-z][a-z0-9_]{1,39}$",
        description="Lower case letters, digits and underscores (`workstation_replacement`)",
    ),
]
Fields = Annotated[
    list[CategoryField],
    Field(max_length=30, description="What the intake form asks; keys unique"),
    AfterValidator(_keys_differ),
]
TaskTemplate = Annotated[
    list[Task],
    Field(
        max_length=50,
        description="The checklist a new ticket starts with, in order: labels or `{label}`",
    ),
]
Label = Annotated[Text, Field(min_length=1, max_length=120)]
HelpText = Annotated[Text, Field(min_length=1, max_length=1000)]
Position = Annotated[int, Field(ge=0, le=10_000, description="Among its siblings; then by code")]


class CategoryIn(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    code: CategoryCode
    parent_code: Annotated[Text | None, Field(max_length=40)] = None
    label: Label
    help_text: HelpText | None = Field(
        default=None, description="Shown under the category on the intake form (French)"
    )
    fields: Fields = []
    task_template: TaskTemplate = []
    position: Position | None = Field(
        default=None, description="Among its siblings; after them when not given"
    )


class CategoryPatch(BaseModel):
    """Only the fields sent change; `parent_code` null makes it a root, `help_text` null
    clears it. The code never changes."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    parent_code: Annotated[Text | None, Field(max_length=40)] = None
    label: Label | None = None
    help_text: HelpText | None = None
    fields: Fields | None = None
    task_template: TaskTemplate | None = None
    position: Position | None = None
    active: bool | None = None

    @field_validator("label", "fields", "task_template", "position", "active")
    @classmethod
    def _required(cls, value: object) -> object:
        return _not_null(value)


def task_rows(labels: list[str]) -> list[dict[str, Any]]:
    """The checklist as the column keeps it."""
    return [{"position": position, "label": label} for position, label in enumerate(labels)]


class TemplateTask(BaseModel):
    position: int
    label: str


class CategoryOut(BaseModel):
    code: str
    parent_code: str | None
    label: str
    path_label: str = Field(description="From the root: `Matériel \u203a Remplacement de poste`")
    depth: int = Field(description="0 for a root")
    help_text: str | None
    fields: list[CategoryField]
    task_template: list[TemplateTask]
    active: bool
    position: int
    created_at: datetime

    @classmethod
    def of(cls, category: Category, path: Sequence[str]) -> CategoryOut:
        """`path`: the labels from the root down to the category's own."""
        return cls(
            code=category.code,
            parent_code=category.parent_code,
            label=category.label,
            path_label=PATH_SEPARATOR.join(path),
            depth=len(path) - 1,
            help_text=category.help_text,
            fields=[CategoryField.model_validate(field) for field in category.fields],
            task_template=[TemplateTask.model_validate(task) for task in category.task_template],
            active=category.active,
            position=category.position,
            created_at=category.created_at,
        )


class CategoryTree(BaseModel):
    """Every category, each before its children, siblings by position then code."""

    items: list[CategoryOut]
