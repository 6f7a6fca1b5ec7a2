"""What the API accepts and returns about support groups and technicians."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, TypeVar

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, ValidationError, field_validator
from pydantic_core import InitErrorDetails, PydanticCustomError

from guichet_common.text import Email, Phone, Text
from ticketing.staff.models import SupportGroup, Technician

T = TypeVar("T")

GroupCode = Annotated[
    Text,
    Field(
        pattern=r"^[a-z][a-z0-9_]{1,39}$",
        description="Lower case letters, digits and underscores (`proximite_nord`)",
    ),
]
Name = Annotated[Text, Field(min_length=1, max_length=120)]


def _not_null(value: T | None) -> T:
    if value is None:
        raise ValueError("cannot be null; leave it out to keep it")
    return value


def _each_once(codes: list[str]) -> list[str]:
    seen: set[str] = set()
    for index, code in enumerate(codes):
        if code in seen:
            # Located below the list (pydantic adds `group_codes` in front).
            raise ValidationError.from_exception_data(
                "technician",
                [
                    InitErrorDetails(
                        type=PydanticCustomError("group_repeated", "this group is already listed"),
                        loc=(index,),
                        input=code,
                    )
                ],
            )
        seen.add(code)
    return codes


GroupCodes = Annotated[
    list[Annotated[Text, Field(min_length=1, max_length=40)]],
    Field(max_length=20, description="The support groups the technician belongs to"),
    AfterValidator(_each_once),
]


# --- support groups --------------------------------------------------------------------------


class GroupIn(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    code: GroupCode
    name: Name = Field(description="`Proximité Orléans nord`")
    email: Email | None = Field(default=None, description="The group's shared mailbox")
    active: bool = True


class GroupPatch(BaseModel):
    """Only the fields sent change; `email` null clears it. The code never changes."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    name: Name | None = None
    email: Email | None = None
    active: bool | None = None

    @field_validator("name", "active")
    @classmethod
    def _required(cls, value: object) -> object:
        return _not_null(value)


class GroupOut(BaseModel):
    code: str
    name: str
    email: str | None
    active: bool
    created_at: datetime

    @classmethod
    def of(cls, group: SupportGroup) -> GroupOut:
        return cls(
            code=group.code,
            name=group.name,
            email=group.email,
            active=group.active,
            created_at=group.created_at,
        )


# --- technicians ------------------------------------------------------------------------------


class TechnicianIn(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    login: Text = Field(
        min_length=1,
        max_length=200,
        description="The person's login: the `sub` of their token, as it is spelt there",
    )
    name: Name
    email: Email
    phone: Phone | None = None
    group_codes: GroupCodes = []
    active: bool = True


class TechnicianPatch(BaseModel):
    """Only the fields sent change; `phone` null clears it. The login never changes."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    name: Name | None = None
    email: Email | None = None
    phone: Phone | None = None
    group_codes: GroupCodes | None = None
    active: bool | None = None

    @field_validator("name", "email", "group_codes", "active")
    @classmethod
    def _required(cls, value: object) -> object:
        return _not_null(value)


class TechnicianOut(BaseModel):
    login: str
    name: str
    email: str
    phone: str | None
    group_codes: list[str]
    active: bool
    created_at: datetime

    @classmethod
    def of(cls, technician: Technician) -> TechnicianOut:
        return cls(
            login=technician.login,
            name=technician.name,
            email=technician.email,
            phone=technician.phone,
            group_codes=technician.group_codes,
            active=technician.active,
            created_at=technician.created_at,
        )
