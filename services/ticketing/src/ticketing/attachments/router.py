"""`/api/ticketing/tickets/{reference}/attachments`: screenshots and PDFs on a ticket or on
one of its followups. A ticket the caller may not see is 404 (`deps.Viewer`)."""

from __future__ import annotations

import unicodedata
from typing import Annotated, Any
from urllib.parse import quote
from uuid import UUID

from fastapi import APIRouter, File, Form, Response, UploadFile

from guichet_common.http import PROBLEM, SessionDep
from guichet_common.idempotency import IdempotencyKey, begin_idempotent
from guichet_common.pagination import Page, PageParams
from guichet_common.text import Text
from ticketing.attachments import service
from ticketing.attachments.schemas import AttachmentOut
from ticketing.attachments.sniffing import ACCEPTED
from ticketing.db import plumbing
from ticketing.deps import SettingsDep, TicketReads, TicketWrites

router = APIRouter(tags=["attachments"])

ATTACHMENTS = "/tickets/{reference}/attachments"
BYTES: dict[int | str, dict[str, Any]] = {
    200: {
        "description": "The file's bytes, in the type read from them when it was sent",
        "content": {
            media_type: {"schema": {"type": "string", "format": "binary"}}
            for media_type in ACCEPTED
        },
    },
    404: PROBLEM,
}


@router.post(
    ATTACHMENTS,
    status_code=201,
    response_model=AttachmentOut,
    responses={404: PROBLEM, 409: PROBLEM, 413: PROBLEM, 415: PROBLEM, 422: PROBLEM},
)
async def upload_attachment(
    reference: Text,
    file: Annotated[UploadFile, File(description="PNG, JPEG, GIF, WebP or PDF")],
    response: Response,
    session: SessionDep,
    settings: SettingsDep,
    caller: TicketWrites,
    followup_id: Annotated[
        UUID | None,
        Form(description="A followup of this ticket (a requester: a public one) it belongs to"),
    ] = None,
    idempotency_key: IdempotencyKey = None,
) -> Any:
    """A file attached to the ticket, or to one of its followups. Its type is read from its
    bytes, whatever its name or declared type: PNG, JPEG, GIF, WebP and PDF are accepted,
    anything else (SVG, HTML, archives, programs) is 415 `unsupported-file-type` naming
    `file`. Larger than `attachment_max_bytes`: 413 `file-too-large` naming `file`; empty:
    422. A closed or cancelled ticket (409 `ticket-closed`), or one already holding
    `attachments_per_ticket` files (409 `attachment-limit`), takes no more. The name is kept
    without its directory nor control characters, at most 255 characters. With an
    `Idempotency-Key`, a retry returns the first answer."""
    received = await service.receive(file, settings.attachment_max_bytes)
    idempotent = await begin_idempotent(
        session,
        plumbing,
        "attachment",
        idempotency_key,
        {
            "reference": reference.upper(),
            "followup_id": str(followup_id) if followup_id else None,
            "filename": file.filename,
            "sha256": received.sha256,
        },
        owner=caller.subject,
    )
    if idempotent.replay is not None:
        return idempotent.replay
    ticket, attachment = await service.add_attachment(
        session,
        settings,
        reference,
        caller,
        filename=file.filename,
        file=received,
        followup_id=followup_id,
    )
    created = AttachmentOut.of(attachment, ticket.reference)
    # Never changed once sent: its ETag is its digest, as on the download.
    etag = f'"{attachment.sha256}"'
    response.headers["ETag"] = etag
    await idempotent.complete(session, 201, created.model_dump(mode="json"), {"ETag": etag})
    return created


@router.get(ATTACHMENTS, response_model=Page[AttachmentOut], responses={404: PROBLEM})
async def list_attachments(
    reference: Text, session: SessionDep, caller: TicketReads, page: PageParams
) -> Page[AttachmentOut]:
    """What is attached (never the bytes: follow `download_url`), oldest first; a requester
    does not see the files of private followups."""
    ticket, attachments = await service.list_attachments(session, reference, caller, page)
    return Page.of(attachments, lambda attachment: AttachmentOut.of(attachment, ticket.reference))


@router.get(f"{ATTACHMENTS}/{{attachment_id}}", response_class=Response, responses=BYTES)
async def download_attachment(
    reference: Text, attachment_id: UUID, session: SessionDep, caller: TicketReads
) -> Response:
    """The file byte for byte, as a download (never shown in the page that links it), its
    ETag its SHA-256."""
    attachment = await service.download(session, reference, attachment_id, caller)
    return Response(
        attachment.content,
        media_type=attachment.content_type,
        headers={
            "Content-Disposition": content_disposition(attachment.filename),
            "ETag": f'"{attachment.sha256}"',
            "Cache-Control": "private",
            # The browser keeps the type read on upload, and runs nothing the file holds.
            "X-Content-Type-Options": "nosniff",
            "Content-Security-Policy": "default-src 'none'; sandbox",
        },
    )


def content_disposition(filename: str) -> str:
    """RFC 6266: an ASCII `filename` for old clients, and `filename*` (RFC 5987, UTF-8) so
    that `Relevé d'intervention.pdf` keeps its accents."""
    decomposed = unicodedata.normalize("NFKD", filename)
    ascii_name = "".join(c for c in decomposed if not unicodedata.combining(c))
    fallback = "".join(c if " " <= c < "\x7f" and c not in '"\\' else "_" for c in ascii_name)
    return f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{quote(filename, safe='')}"
