"""What the API accepts and returns about followups."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated
from uuid import UUID

from pydantic import AfterValidator, BaseModel, ConfigDict, Field
from pydantic_core import PydanticCustomError

from guichet_common.text import Text
from ticketing.followups.models import Followup


def _not_blank(value: str) -> str:
    """Surrounding blanks dropped; a message of blanks only is no message."""
    value = value.strip()
    if not value:
        raise PydanticCustomError("blank", "must not be blank")
    return value


Content = Annotated[Text, Field(min_length=1, max_length=20_000), AfterValidator(_not_blank)]


class FollowupIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    content: Content
    public: bool = Field(
        True,
        description="Public: the requester reads it, it is searched and announced. Private "
        "(staff only): a note for the helpdesk.",
    )


class FollowupOut(BaseModel):
    id: UUID
    public: bool
    content: str
    author: str = Field(description="Who wrote it (the token's `sub`)")
    author_name: str | None
    created_at: datetime

    @classmethod
    def of(cls, followup: Followup) -> FollowupOut:
        return cls(
            id=followup.id,
            public=followup.public,
            content=followup.content,
            author=followup.author,
            author_name=followup.author_name,
            created_at=followup.created_at,
        )
