"""API key payloads."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field

from guichet_common.text import Text

SCOPE_PATTERN = r"^[a-z][a-z0-9_]*:(read|write|agent)$"
SITE_PATTERN = r"^[A-Za-z0-9_-]{1,32}$"


class ApiKeyCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: Text = Field(min_length=1, max_length=200, description="Who uses it, e.g. 'GLPI sync'")
    scopes: list[Annotated[str, Field(pattern=SCOPE_PATTERN, max_length=100)]] = Field(
        min_length=1,
        max_length=3,
        description="`<service>:read`, `<service>:write` (reads too) or `<service>:agent`, "
        "for the service the key is created in",
        examples=[["imaging:agent"]],
    )
    sites: list[Annotated[str, Field(pattern=SITE_PATTERN)]] = Field(
        default_factory=list,
        max_length=200,
        description="Site codes the key is limited to; none: every site",
    )


class ApiKeyRead(BaseModel):
    key_id: str
    name: str
    scopes: list[str]
    sites: list[str]
    created_at: datetime
    last_used_at: datetime | None
    revoked_at: datetime | None


class ApiKeyCreated(ApiKeyRead):
    api_key: str = Field(description="The secret, shown this once: store it now")
