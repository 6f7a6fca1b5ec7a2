"""Webhook endpoint API shapes."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from pydantic import BaseModel, ConfigDict, EmailStr, Field, HttpUrl

from guichet_common.text import Text

EVENT_TYPE_PATTERN = r"^[a-z0-9_.*?\[\]-]+$"


class WebhookCreate(BaseModel):
    url: HttpUrl
    event_types: list[Text] = Field(
        min_length=1,
        max_length=50,
        description="Shell-style patterns: `garage.*` (every garage event), "
        "`garage.quote.accepted.v1`, `*`.",
    )
    description: Text = Field(default="", max_length=1000)
    owner_email: EmailStr | None = Field(
        default=None, description="Told by email when the endpoint is disabled."
    )


class WebhookUpdate(BaseModel):
    """Only the fields sent change; send If-Match with the ETag you read."""

    url: HttpUrl | None = None
    event_types: list[Text] | None = Field(default=None, min_length=1, max_length=50)
    description: Text | None = Field(default=None, max_length=1000)
    owner_email: EmailStr | None = None


class WebhookOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: UUID
    url: str
    event_types: list[str]
    description: str
    owner_email: str | None
    disabled_at: datetime | None
    disabled_reason: str | None
    failing_since: datetime | None
    previous_secret_expires_at: datetime | None
    created_at: datetime


class WebhookWithSecret(WebhookOut):
    secret: str = Field(description="`whsec_…`: shown now and never again.")


class ReplayResult(BaseModel):
    requeued: int = Field(description="Deliveries queued again or created for this endpoint.")
