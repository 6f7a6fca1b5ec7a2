"""What the API returns about attachments (they are sent as multipart/form-data)."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from pydantic import BaseModel, Field

from ticketing.attachments.models import Attachment
from ticketing.settings import SERVICE


class AttachmentOut(BaseModel):
    id: UUID
    filename: str = Field(description="The name it was sent with, without path nor controls")
    content_type: str = Field(description="Read from the file's bytes, not from the client")
    size: int = Field(description="In bytes")
    sha256: str = Field(description="Hex digest of the bytes; the download's ETag")
    followup_id: UUID | None = Field(description="The followup it belongs to, if any")
    uploaded_by: str
    created_at: datetime
    download_url: str = Field(description="Where its bytes are downloaded (a path of this API)")

    @classmethod
    def of(cls, attachment: Attachment, reference: str) -> AttachmentOut:
        return cls(
            id=attachment.id,
            filename=attachment.filename,
            content_type=attachment.content_type,
            size=attachment.size,
            sha256=attachment.sha256,
            followup_id=attachment.followup_id,
            uploaded_by=attachment.uploaded_by,
            created_at=attachment.created_at,
            download_url=f"/api/{SERVICE}/tickets/{reference}/attachments/{attachment.id}",
        )
