"""What the notifier holds for its process's life, and what its routers depend on: its
settings and who calls."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Annotated

import httpx
from fastapi import Depends

from guichet_common.auth import Principal, require_access, require_roles
from guichet_common.identity import Role
from guichet_common.runtime import settings_dependency
from notifier.mail_transport import EmailTransport, FileTransport, SmtpTransport
from notifier.pinned_http import pinned_client
from notifier.settings import SERVICE, NotifierSettings


@dataclass(frozen=True)
class NotifierState:
    """The email transport (one SMTP connection, or `.eml` files), the HTTP client that
    fetches attachments from our services, and the one webhooks go out with, which
    reaches checked destinations only."""

    email_transport: EmailTransport
    http: httpx.AsyncClient
    webhook_http: httpx.AsyncClient

    @classmethod
    def open(cls, settings: NotifierSettings) -> NotifierState:
        """Nothing connects yet: SMTP on the first mail, HTTP on the first request."""
        transport: EmailTransport = (
            SmtpTransport(settings.smtp_url)
            if settings.smtp_url
            else FileTransport(settings.data_dir / "mail")
        )
        http = httpx.AsyncClient(timeout=settings.webhook_timeout_seconds)
        webhook_http = pinned_client(
            timeout=settings.webhook_timeout_seconds,
            max_connections=settings.sender_webhook_concurrency,
        )
        return cls(transport, http, webhook_http)

    async def close(self) -> None:
        try:
            await self.email_transport.close()
        finally:
            await self.http.aclose()
            await self.webhook_http.aclose()


@asynccontextmanager
async def notifier_lifespan(settings: NotifierSettings) -> AsyncIterator[NotifierState]:
    state = NotifierState.open(settings)
    try:
        yield state
    finally:
        await state.close()


SettingsDep = Annotated[NotifierSettings, Depends(settings_dependency(NotifierSettings))]
# Where events go is an administrator's decision, in person: no API key.
Admin = Annotated[Principal, Depends(require_roles(Role.ADMIN))]
# People who answer clients read timelines and templates, retry and test-send; so may an
# API key with the scope `notifier:read` (reads) or `notifier:write` (both).
STAFF = (Role.SUPERVISOR, Role.GARAGE_TEACHER, Role.TECHNICIAN)
StaffReads = Annotated[Principal, Depends(require_access(SERVICE, *STAFF, access="read"))]
StaffWrites = Annotated[Principal, Depends(require_access(SERVICE, *STAFF, access="write"))]
# The delivery timeline: staff see the services their roles cover (deliveries.readers),
# ops every service with recipients masked.
TimelineReads = Annotated[
    Principal, Depends(require_access(SERVICE, *STAFF, Role.OPS, access="read"))
]
