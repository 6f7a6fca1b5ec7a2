"""The rules of attachments: who may attach to what, which files are accepted (by their
bytes), how big, how many per ticket, and who reads them."""

from __future__ import annotations

import hashlib
import unicodedata
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol
from uuid import UUID

from sqlalchemy.ext.asyncio import AsyncSession

from guichet_common.auth import Principal
from guichet_common.events import new_event_id, utcnow
from guichet_common.http import Conflict, InvalidInput, NotFound, ProblemError
from guichet_common.pagination import Paged, PageRequest
from ticketing.attachments import repository
from ticketing.attachments.models import Attachment
from ticketing.attachments.sniffing import ACCEPTED, EXTENSIONS, sniff
from ticketing.deps import Viewer
from ticketing.followups import service as followups
from ticketing.settings import TicketingSettings
from ticketing.tickets import repository as tickets
from ticketing.tickets.models import Ticket

FILE = "file"  # the multipart field errors name
FILENAME_MAX = 255
_CHUNK = 64 * 1024
# Removed from names: controls (NUL, CR, LF…), invisible formatting (the right-to-left
# override that shows `photo<RLO>gpj.exe` as `photoexe.jpg`), lone surrogates, line breaks.
_UNSAFE_CATEGORIES = frozenset({"Cc", "Cf", "Cs", "Zl", "Zp"})


def _naming_file(detail: str) -> dict[str, Any]:
    """A problem's fields naming `file`, in the shape of a validation error."""
    return {"field": FILE, "errors": [{"field": FILE, "message": detail}]}


class FileTooLarge(ProblemError):
    status, slug, title = 413, "file-too-large", "File too large"

    def __init__(self, max_bytes: int) -> None:
        detail = f"the file is larger than {max_bytes} bytes"
        super().__init__(detail, max_bytes=max_bytes, **_naming_file(detail))


class UnsupportedFileType(ProblemError):
    status, slug, title = 415, "unsupported-file-type", "File type not accepted"

    def __init__(self) -> None:
        detail = f"the file's content is none of {', '.join(ACCEPTED)}"
        super().__init__(detail, accepted=list(ACCEPTED), **_naming_file(detail))


class TooManyAttachments(Conflict):
    slug, title = "attachment-limit", "The ticket holds as many attachments as allowed"


class Upload(Protocol):
    """A file being received (FastAPI's `UploadFile`)."""

    async def read(self, size: int = -1) -> bytes: ...


@dataclass(frozen=True)
class Received:
    """A file's bytes as received, and their digest (computed once)."""

    content: bytes
    sha256: str


async def receive(upload: Upload, max_bytes: int) -> Received:
    """The file, read in chunks and never more than `max_bytes` + 1 bytes of it: one byte
    too many is enough to refuse it (413), whatever the sender claims."""
    content = bytearray()
    while len(content) <= max_bytes:
        chunk = await upload.read(min(_CHUNK, max_bytes + 1 - len(content)))
        if not chunk:
            break
        content += chunk
    if len(content) > max_bytes:
        raise FileTooLarge(max_bytes)
    if not content:
        raise InvalidInput("the file is empty", field=FILE)
    return Received(bytes(content), hashlib.sha256(content).hexdigest())


def clean_filename(sent: str | None, content_type: str) -> str:
    """The name a person will read: no directory, no control or invisible character, at
    most 255 characters (the extension kept); a default when nothing usable is left."""
    name = (sent or "").replace("\\", "/").rsplit("/", 1)[-1]
    name = unicodedata.normalize("NFC", name)
    name = "".join(c for c in name if unicodedata.category(c) not in _UNSAFE_CATEGORIES)
    # No hidden file nor `..`.
    name = name.strip().lstrip(".").strip()
    if not name:
        return f"piece-jointe.{EXTENSIONS[content_type]}"
    if len(name) > FILENAME_MAX:
        stem, dot, extension = name.rpartition(".")
        if dot and stem and len(extension) <= 16:
            name = f"{stem[: FILENAME_MAX - len(extension) - 1]}.{extension}"
        else:
            name = name[:FILENAME_MAX]
    return name


async def add_attachment(
    session: AsyncSession,
    settings: TicketingSettings,
    reference: str,
    principal: Principal,
    *,
    filename: str | None,
    file: Received,
    followup_id: UUID | None = None,
    now: datetime | None = None,
) -> tuple[Ticket, Attachment]:
    """`file` (from `receive`) attached to the ticket, or to one of its
    followups (a requester: a public one). The type is read from the bytes (415 otherwise);
    a closed or cancelled ticket takes nothing (409), nor one already full (409)."""
    viewer = Viewer.of(principal)
    ticket = await tickets.get_visible(session, reference, viewer)
    followups.check_open(ticket)
    if followup_id is not None:
        followup = await followups.followup_of(session, ticket, followup_id, viewer)
        if followup is None:
            raise InvalidInput(
                f"no followup {followup_id} on {ticket.reference}", field="followup_id"
            )
    content_type = sniff(file.content)
    if content_type is None:
        raise UnsupportedFileType()
    name = clean_filename(filename, content_type)
    if await repository.count_locked(session, ticket) >= settings.attachments_per_ticket:
        raise TooManyAttachments(
            f"{ticket.reference} already holds {settings.attachments_per_ticket} attachments",
            max_attachments=settings.attachments_per_ticket,
        )
    attachment = Attachment(
        id=new_event_id(),
        ticket_id=ticket.id,
        followup_id=followup_id,
        filename=name,
        content_type=content_type,
        size=len(file.content),
        sha256=file.sha256,
        content=file.content,
        uploaded_by=principal.subject,
        created_at=now or utcnow(),
    )
    repository.add(session, attachment)
    tickets.record_change(
        session,
        ticket,
        actor=principal.subject,
        actor_name=principal.name,
        action="attachment_added",
        changes={"attachment": [None, name]},
    )
    await repository.save(session)
    return ticket, attachment


async def list_attachments(
    session: AsyncSession, reference: str, principal: Principal, page: PageRequest
) -> tuple[Ticket, Paged[Attachment]]:
    """Metadata only, oldest first; a requester does not see those of private followups."""
    viewer = Viewer.of(principal)
    ticket = await tickets.get_visible(session, reference, viewer)
    return ticket, await repository.page(session, ticket, page, staff=viewer.staff)


async def download(
    session: AsyncSession, reference: str, attachment_id: UUID, principal: Principal
) -> Attachment:
    """The attachment with its bytes; 404 when it is not one the caller may read."""
    viewer = Viewer.of(principal)
    ticket = await tickets.get_visible(session, reference, viewer)
    attachment = await repository.with_content(session, ticket, attachment_id, staff=viewer.staff)
    if attachment is None:
        raise NotFound(f"no attachment {attachment_id} on {ticket.reference}")
    return attachment
