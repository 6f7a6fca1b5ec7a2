"""Events notifier publishes (payload models, frozen; a breaking change is a new major)."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from guichet_common.events import Event, EventRegistry
from guichet_common.outbox import Outbox
from notifier.db import plumbing
from notifier.settings import SERVICE

published = EventRegistry()
outbox = Outbox(SERVICE, plumbing)


@published.register
class WebhookEndpointDisabledV1(Event):
    """An endpoint stopped receiving: it answered 410, or failed for days. Its owner is
    told by email (a rule of this service) and operators can subscribe to it."""

    event_type = "notifier.webhook_endpoint.disabled.v1"

    endpoint_id: UUID
    url: str
    owner_email: str | None
    reason: str
    disabled_at: datetime


@published.register
class EmailBouncedV1(Event):
    """A mail server refused a mailbox for good (550/551/553). Further mail to it is
    suppressed; the service that owns the subject can ask staff to phone the person."""

    event_type = "notifier.email.bounced.v1"

    delivery_id: UUID
    recipient: str
    about_subject: str | None
    event_type_notified: str
    reply: str
    bounced_at: datetime
