"""Email composition: the MIME message of a rendered mail, threaded and marked automatic,
as it goes on the wire."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from email.charset import QP, Charset
from email.header import Header
from email.mime.application import MIMEApplication
from email.mime.multipart import MIMEMultipart
from email.mime.text import MIMEText
from email.utils import format_datetime, formataddr, parseaddr

from notifier.mail_transport import WireEmail


@dataclass(frozen=True)
class Attachment:
    filename: str
    content: bytes
    maintype: str = "application"
    subtype: str = "pdf"


@dataclass(frozen=True)
class OutgoingEmail:
    sender: str
    to: str
    subject: str
    text: str
    html: str
    message_id: str
    date: datetime
    thread_root: str | None = None
    reply_to: str | None = None
    attachments: tuple[Attachment, ...] = ()


UTF8 = Charset("utf-8")
UTF8.body_encoding = QP  # readable in a raw view, safe for 7-bit relays


def build_message(mail: OutgoingEmail) -> bytes:
    """multipart/alternative (text first, then HTML), inside multipart/mixed when there are
    attachments; threaded on the subject's root id; marked automatic (RFC 3834).

    Built with the compat32 classes and flattened once: several times cheaper than
    EmailMessage's header registry, which dominated the cost of a send."""
    alternative = MIMEMultipart("alternative")
    # typeshed says str, but MIMEText takes a Charset, the only way to ask for QP per part.
    alternative.attach(MIMEText(mail.text, "plain", UTF8))  # type: ignore[arg-type]
    alternative.attach(MIMEText(mail.html, "html", UTF8))  # type: ignore[arg-type]
    message: MIMEMultipart = alternative
    if mail.attachments:
        message = MIMEMultipart("mixed")
        message.attach(alternative)
        for attachment in mail.attachments:
            part = MIMEApplication(attachment.content, attachment.subtype)
            part.add_header("Content-Disposition", "attachment", filename=attachment.filename)
            message.attach(part)
    name, address = parseaddr(mail.sender)
    message["From"] = formataddr((name, address), charset="utf-8")
    message["To"] = mail.to
    message["Subject"] = Header(mail.subject, "utf-8")  # type: ignore[assignment]
    message["Date"] = format_datetime(mail.date)
    message["Message-ID"] = mail.message_id
    if mail.thread_root is not None:
        message["In-Reply-To"] = mail.thread_root
        message["References"] = mail.thread_root
    if mail.reply_to:
        message["Reply-To"] = mail.reply_to
    message["Auto-Submitted"] = "auto-generated"
    message["X-Auto-Response-Suppress"] = "All"
    data: bytes = message.as_bytes()
    return data


def wire_email(mail: OutgoingEmail) -> WireEmail:
    return WireEmail(parseaddr(mail.sender)[1], mail.to, mail.message_id, build_message(mail))
