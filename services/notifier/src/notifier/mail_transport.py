"""How mail leaves: SMTP over one reused aiosmtplib connection, or `.eml` files (the
embedded default). What the process holds (`deps.NotifierState`); `sending` composes the
messages."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol
from urllib.parse import parse_qs, unquote, urlsplit

import aiosmtplib


class TemporaryFailure(Exception):
    """Try again later (4xx, connection refused or dropped, attachment unavailable)."""


class PermanentFailure(Exception):
    """Do not try again (5xx, a template that cannot render)."""

    def __init__(self, message: str, code: int | None = None) -> None:
        super().__init__(message)
        self.code = code


@dataclass(frozen=True)
class WireEmail:
    """What goes on the wire: the envelope and the flattened message."""

    sender: str
    recipient: str
    message_id: str
    data: bytes


class EmailTransport(Protocol):
    async def send(self, mail: WireEmail) -> str:
        """Returns the server's reply; raises TemporaryFailure or PermanentFailure."""

    async def close(self) -> None: ...


class SmtpTransport:
    """`smtp://host:port` (`?starttls=true`), `smtps://` (implicit TLS), `user:password@`
    for AUTH. One connection reused for every message, opened again when it drops."""

    def __init__(self, url: str, *, timeout: float = 30.0) -> None:
        parts = urlsplit(url)
        if parts.scheme not in {"smtp", "smtps"} or not parts.hostname:
            raise ValueError("GUICHET_SMTP_URL must be smtp://host:port or smtps://host:port")
        query = parse_qs(parts.query)
        self._implicit_tls = parts.scheme == "smtps"
        self._starttls = query.get("starttls", ["false"])[0].lower() in {"1", "true", "yes"}
        self._host = parts.hostname
        self._port = parts.port or (465 if self._implicit_tls else 25)
        self._username = unquote(parts.username) if parts.username else None
        self._password = unquote(parts.password) if parts.password else None
        self._timeout = timeout
        self._client: aiosmtplib.SMTP | None = None
        self._lock = asyncio.Lock()

    async def _connected(self) -> aiosmtplib.SMTP:
        if self._client is not None and self._client.is_connected:
            return self._client
        client = aiosmtplib.SMTP(
            hostname=self._host,
            port=self._port,
            use_tls=self._implicit_tls,
            start_tls=self._starttls if not self._implicit_tls else False,
            username=self._username,
            password=self._password,
            timeout=self._timeout,
        )
        await client.connect()
        self._client = client
        return client

    async def send(self, mail: WireEmail) -> str:
        async with self._lock:  # one SMTP transaction at a time on the shared connection
            try:
                client = await self._connected()
                _refused, reply = await client.sendmail(mail.sender, [mail.recipient], mail.data)
                return reply
            except aiosmtplib.SMTPRecipientsRefused as exc:
                await self._reset_transaction()
                refusal = exc.recipients[0]
                raise _classify(refusal.code, refusal.message) from exc
            except aiosmtplib.SMTPResponseException as exc:
                await self._reset_transaction()
                raise _classify(exc.code, exc.message) from exc
            except (aiosmtplib.SMTPException, OSError, TimeoutError) as exc:
                await self._drop()
                raise TemporaryFailure(f"SMTP connection: {exc}") from exc

    async def _reset_transaction(self) -> None:
        # After a refusal the connection is still good; RSET clears the half-done mail.
        if self._client is not None and self._client.is_connected:
            try:
                await self._client.rset()
            except (aiosmtplib.SMTPException, OSError):
                await self._drop()

    async def _drop(self) -> None:
        client, self._client = self._client, None
        if client is not None:
            client.close()

    async def close(self) -> None:
        async with self._lock:
            client, self._client = self._client, None
            if client is not None and client.is_connected:
                try:
                    await client.quit()
                except (aiosmtplib.SMTPException, OSError):
                    client.close()


def _classify(code: int, message: str) -> Exception:
    reply = f"{code} {message}"
    if 500 <= code < 600:
        return PermanentFailure(reply, code)
    return TemporaryFailure(reply)


class FileTransport:
    """The embedded default: each message a `.eml` file under `<data_dir>/mail/`."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory

    async def send(self, mail: WireEmail) -> str:
        self.directory.mkdir(parents=True, exist_ok=True)
        name = mail.message_id.strip("<>").replace("@", "_").replace("/", "_")
        path = self.directory / f"{name}.eml"
        path.write_bytes(mail.data)
        return f"written to {path}"

    async def close(self) -> None:
        return None
