"""The sender in three steps, each with its own boundary (`sending.handlers`):

- `claim` (a transaction): due deliveries leased to this sender (state `sending`), with
  their events, their endpoints and the addresses that bounced before;
- `Sender.send` (no database): email and webhooks go out; typed outcomes come back, with
  what was seen of the endpoints' health;
- `record` (another transaction): outcomes, attempts, bounces, endpoint health.

The claim is committed before any network call, so no transaction stays open while a
server answers, and a crash never sends twice from the database's point of view: a lease
that expires puts the delivery back as `retrying`, and the same Message-ID / webhook-id
goes out again.
"""

from __future__ import annotations

import asyncio
import random
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import PurePosixPath
from typing import Any
from uuid import UUID

import httpx
from jinja2 import TemplateError
from sqlalchemy.ext.asyncio import AsyncSession

from guichet_common.events import utcnow
from notifier.deliveries import service as deliveries
from notifier.deliveries.models import (
    HARD_BOUNCE_CODES,
    RESPONSE_LIMIT,
    AttemptOutcome,
    AttemptTrigger,
    Channel,
    Delivery,
    DeliveryAttempt,
    DeliveryOutcome,
    DeliveryState,
    StoredEvent,
)
from notifier.events import EmailBouncedV1, outbox
from notifier.mail_transport import (
    EmailTransport,
    PermanentFailure,
    TemporaryFailure,
    WireEmail,
)
from notifier.rules import service as rules
from notifier.rules.rendering import UnknownTemplate, render
from notifier.sending.email import Attachment, OutgoingEmail, wire_email
from notifier.sending.webhook import payload_body, post_webhook
from notifier.settings import NotifierSettings
from notifier.webhooks import service as webhooks
from notifier.webhooks.models import WebhookEndpoint
from notifier.webhooks.signing import secrets_in_use
from notifier.webhooks.ssrf import UnsafeDestination, check_destination


@dataclass(frozen=True)
class ClaimedBatch:
    """What one sender holds until its lease ends: everything sending needs, read."""

    deliveries: list[Delivery]
    events: dict[UUID, StoredEvent]
    endpoints: dict[UUID, WebhookEndpoint]
    bounced: frozenset[str]  # addresses a mail server refused outright before


@dataclass
class EndpointNews:
    """What the sends of a batch said about the endpoints."""

    healthy: set[UUID] = field(default_factory=set)
    failing: set[UUID] = field(default_factory=set)
    gone: set[UUID] = field(default_factory=set)  # answered 410


@dataclass(frozen=True)
class Composed:
    """An e-mail ready to go, and what it leaves out (an attachment that could not be
    fetched), if anything."""

    mail: WireEmail
    note: str | None


@dataclass(frozen=True)
class SentBatch:
    outcomes: list[DeliveryOutcome]
    news: EndpointNews


async def claim(session: AsyncSession, settings: NotifierSettings, now: datetime) -> ClaimedBatch:
    """Up to `NOTIFIER_SENDER_BATCH_SIZE` due deliveries, leased for
    `NOTIFIER_SENDER_LEASE_SECONDS`, with everything sending them reads."""
    lease_until = now + timedelta(seconds=settings.sender_lease_seconds)
    claimed = await deliveries.claim_due(session, now, lease_until, settings.sender_batch_size)
    if not claimed:
        return ClaimedBatch([], {}, {}, frozenset())
    events = await deliveries.events_by_id(session, [d.event_id for d in claimed])
    endpoints = await webhooks.endpoints_by_id(
        session, {d.endpoint_id for d in claimed if d.endpoint_id is not None}
    )
    bounced = await deliveries.hard_bounced(
        session, [d.recipient for d in claimed if d.channel == Channel.EMAIL]
    )
    return ClaimedBatch(claimed, events, endpoints, frozenset(bounced))


# --- what one attempt leads to, decided without I/O ---------------------------------------

# Seconds to wait after the 1st, 2nd, … failed attempt (the first attempt is immediate).
WEBHOOK_RETRY_SCHEDULE: tuple[float, ...] = (5, 300, 1800, 7200, 18000, 36000, 36000)
EMAIL_RETRY_SCHEDULE: tuple[float, ...] = (30, 120, 600, 1800, 3600, 7200, 14400)
MAX_RETRY_AFTER = 24 * 3600.0

Clock = Callable[[], datetime]
Jitter = Callable[[float], float]


def default_jitter(delay: float) -> float:
    """±10 %, so endpoints that failed together are not retried in lockstep."""
    return delay * random.uniform(0.9, 1.1)


@dataclass(frozen=True)
class Started:
    """When an attempt began: the clock's time for the log, a monotonic one for its length."""

    at: datetime
    counter: float = field(default_factory=time.perf_counter)

    def attempt(
        self,
        delivery: Delivery,
        outcome: AttemptOutcome,
        response: str | None,
        status_code: int | None,
    ) -> DeliveryAttempt:
        return DeliveryAttempt(
            delivery_id=delivery.id,
            attempted_at=self.at,
            duration_ms=int((time.perf_counter() - self.counter) * 1000),
            outcome=outcome,
            trigger=delivery.next_trigger,
            status_code=status_code,
            response=response[:RESPONSE_LIMIT] if response is not None else None,
        )


def unsent(delivery: Delivery, now: datetime) -> DeliveryOutcome:
    """Back in the queue as it was, due now, no attempt counted."""
    state = DeliveryState.RETRYING if delivery.attempts else DeliveryState.PENDING
    return DeliveryOutcome(delivery, state, now, delivery.last_error)


def suppressed(delivery: Delivery, now: datetime, reason: str) -> DeliveryOutcome:
    """Not tried, and not to be: a bounced address, an endpoint disabled or deleted."""
    return DeliveryOutcome(delivery, DeliveryState.SUPPRESSED, now, reason)


def success(
    delivery: Delivery,
    started: Started,
    now: datetime,
    reply: str,
    status_code: int | None,
    *,
    note: str | None = None,
) -> DeliveryOutcome:
    """Sent; `note` says what the recipient did not get (an attachment left out)."""
    logged = reply if note is None else f"{reply} ({note})"
    attempt = started.attempt(delivery, AttemptOutcome.SUCCESS, logged, status_code)
    return DeliveryOutcome(delivery, DeliveryState.SENT, now, note, attempt, sent_at=now)


def final_failure(
    delivery: Delivery,
    started: Started,
    now: datetime,
    error: str,
    status_code: int | None,
    *,
    response: str | None = None,
) -> DeliveryOutcome:
    """Failed for good: the log keeps the receiver's answer, or the error if none."""
    attempt = started.attempt(
        delivery,
        AttemptOutcome.PERMANENT_FAILURE,
        error if response is None else response,
        status_code,
    )
    return DeliveryOutcome(delivery, DeliveryState.FAILED, now, error, attempt)


def temporary_failure(
    delivery: Delivery,
    started: Started,
    now: datetime,
    error: str,
    status_code: int | None,
    *,
    schedule: tuple[float, ...],
    jitter: Jitter,
    retry_after: float | None = None,
    response: str | None = None,
) -> DeliveryOutcome:
    """Tried again after the schedule's next delay (or the receiver's `Retry-After`, up to
    a day); past the end of the schedule it has failed."""
    attempt = started.attempt(
        delivery,
        AttemptOutcome.TEMPORARY_FAILURE,
        error if response is None else response,
        status_code,
    )
    failures = delivery.attempts + 1
    if failures > len(schedule):
        return DeliveryOutcome(delivery, DeliveryState.FAILED, now, f"gave up: {error}", attempt)
    if retry_after is not None:
        delay = min(retry_after, MAX_RETRY_AFTER)
    else:
        delay = jitter(schedule[failures - 1])
    next_attempt_at = now + timedelta(seconds=delay)
    return DeliveryOutcome(delivery, DeliveryState.RETRYING, next_attempt_at, error, attempt)


# --- sending and recording ------------------------------------------------------------------


class Sender:
    """Sends claimed batches; holds no database session. Shared by the lanes of a worker,
    so its semaphore bounds webhook requests in flight across them."""

    def __init__(
        self,
        settings: NotifierSettings,
        email_transport: EmailTransport,
        http: httpx.AsyncClient,
        webhook_http: httpx.AsyncClient,
        *,
        clock: Clock = utcnow,
        jitter: Jitter = default_jitter,
    ) -> None:
        self.settings = settings
        self.email_transport = email_transport
        self.http = http  # our services (attachments)
        self.webhook_http = webhook_http  # checked destinations only
        self.clock = clock
        self.jitter = jitter
        self._webhook_slots = asyncio.Semaphore(settings.sender_webhook_concurrency)

    async def send(self, batch: ClaimedBatch, deadline: float) -> SentBatch:
        """Past `deadline` (monotonic), what is not sent yet goes back unsent."""
        now = self.clock()
        emails: list[Delivery] = []
        sent: list[DeliveryOutcome] = []
        for delivery in batch.deliveries:
            if delivery.channel != Channel.EMAIL:
                continue
            # A mailbox refused for good is not tried again, unless a person asks for it.
            if (
                delivery.recipient in batch.bounced
                and delivery.next_trigger != AttemptTrigger.MANUAL
            ):
                sent.append(suppressed(delivery, now, "the address bounced before"))
            else:
                emails.append(delivery)
        hooks = [d for d in batch.deliveries if d.channel == Channel.WEBHOOK]
        news = EndpointNews()
        email_outcomes, hook_outcomes = await asyncio.gather(
            self._send_emails(emails, batch.events, deadline),
            self._send_webhooks(hooks, batch, news, deadline),
        )
        return SentBatch([*sent, *email_outcomes, *hook_outcomes], news)

    # --- email -----------------------------------------------------------------------

    async def _send_emails(
        self, emails: list[Delivery], events: dict[UUID, StoredEvent], deadline: float
    ) -> list[DeliveryOutcome]:
        """One SMTP connection carries one transaction at a time, so mails go out in turn;
        the next one is composed while the server answers the current one."""
        composed: asyncio.Queue[tuple[Delivery, Started, Composed | Exception]] = asyncio.Queue(4)

        async def compose_all() -> None:
            for delivery in emails:
                started = Started(self.clock())
                prepared: Composed | Exception
                try:
                    prepared = await self._compose(delivery, events[delivery.event_id], started.at)
                except (TemporaryFailure, PermanentFailure) as exc:
                    prepared = exc
                await composed.put((delivery, started, prepared))

        composer = asyncio.create_task(compose_all())
        try:
            sent = []
            for _ in emails:
                delivery, started, prepared = await composed.get()
                if time.monotonic() > deadline:
                    sent.append(unsent(delivery, self.clock()))
                else:
                    sent.append(await self._send_email(delivery, started, prepared))
            return sent
        finally:
            composer.cancel()

    async def _send_email(
        self, delivery: Delivery, started: Started, prepared: Composed | Exception
    ) -> DeliveryOutcome:
        try:
            if isinstance(prepared, Exception):
                raise prepared
            reply = await self.email_transport.send(prepared.mail)
        except TemporaryFailure as exc:
            return temporary_failure(
                delivery,
                started,
                self.clock(),
                str(exc),
                None,
                schedule=EMAIL_RETRY_SCHEDULE,
                jitter=self.jitter,
            )
        except PermanentFailure as exc:
            return final_failure(delivery, started, self.clock(), str(exc), exc.code)
        return success(delivery, started, self.clock(), reply, None, note=prepared.note)

    async def _compose(self, delivery: Delivery, event: StoredEvent, now: datetime) -> Composed:
        rule = rules.rule_for_template(delivery.template)
        attachments: tuple[Attachment, ...] = ()
        left_out = None
        url = event.data.get(rule.attach_pdf_from) if rule and rule.attach_pdf_from else None
        if url:
            try:
                attachments = (await self._fetch_pdf(str(url), event.data),)
            except TemporaryFailure as exc:
                # Never blocked for good by its attachment: after its attempts the e-mail
                # goes with the link it carries, and its delivery says why.
                if delivery.attempts + 1 < self.settings.attachment_attempts:
                    raise
                left_out = f"sent without its attachment: {exc}"
        try:
            rendered = render(
                delivery.template,
                {**event.data, "attachment_left_out": left_out is not None},
                self.settings.zone,
            )
        except (TemplateError, UnknownTemplate) as exc:
            raise PermanentFailure(f"template {delivery.template}: {exc}") from exc
        subject = delivery.subject
        mail = wire_email(
            OutgoingEmail(
                sender=self.settings.mail_from,
                to=delivery.recipient,
                subject=rendered.subject,
                text=rendered.text,
                html=rendered.html,
                message_id=delivery.message_id,
                date=now,
                thread_root=deliveries.thread_root_id(subject, self.settings) if subject else None,
                reply_to=self.settings.mail_reply_to,
                attachments=attachments,
            )
        )
        return Composed(mail, left_out)

    async def _fetch_pdf(self, url: str, data: dict[str, Any]) -> Attachment:
        try:
            response = await self.http.get(url)
        except httpx.HTTPError as exc:
            raise TemporaryFailure(f"attachment {url}: {type(exc).__name__}: {exc}") from exc
        if response.status_code != 200:
            raise TemporaryFailure(f"attachment {url}: HTTP {response.status_code}")
        # Named after the document it is: the quote's or the invoice's number.
        number = data.get("quote_number") or data.get("invoice_number")
        name = f"{number}.pdf" if number else PurePosixPath(httpx.URL(url).path).name
        return Attachment(filename=name or "document.pdf", content=response.content)

    # --- webhooks --------------------------------------------------------------------

    async def _send_webhooks(
        self, hooks: list[Delivery], batch: ClaimedBatch, news: EndpointNews, deadline: float
    ) -> list[DeliveryOutcome]:
        """A few workers pull from the batch (cheaper than a task per delivery); the
        semaphore bounds requests in flight across lanes."""
        pending = iter(hooks)
        sent: list[DeliveryOutcome] = []

        async def worker() -> None:
            for delivery in pending:
                async with self._webhook_slots:
                    sent.append(await self._send_webhook(delivery, batch, news, deadline))

        workers = min(len(hooks), self.settings.sender_webhook_concurrency)
        await asyncio.gather(*(worker() for _ in range(workers)))
        return sent

    async def _send_webhook(
        self, delivery: Delivery, batch: ClaimedBatch, news: EndpointNews, deadline: float
    ) -> DeliveryOutcome:
        endpoint = batch.endpoints.get(delivery.endpoint_id) if delivery.endpoint_id else None
        if endpoint is None or endpoint.disabled_at is not None:
            return suppressed(delivery, self.clock(), "endpoint disabled or deleted")
        if time.monotonic() > deadline:
            return unsent(delivery, self.clock())
        started = Started(self.clock())
        try:
            destination = await check_destination(
                endpoint.url, allow_private=self.settings.webhooks_allow_private
            )
        except UnsafeDestination as exc:
            return final_failure(delivery, started, self.clock(), f"refused: {exc}", None)
        event = batch.events[delivery.event_id]
        response = await post_webhook(
            self.webhook_http,
            destination,
            message_id=delivery.message_id,
            timestamp=started.at,
            body=payload_body(event.type, event.time, event.data),
            secrets_in_use=secrets_in_use(endpoint, started.at),
        )
        summary, status_code = response.body, response.status_code
        if response.ok:
            news.healthy.add(endpoint.id)
            return success(delivery, started, self.clock(), summary, status_code)
        if status_code == 410:
            news.gone.add(endpoint.id)
            return final_failure(
                delivery,
                started,
                self.clock(),
                f"HTTP 410: {summary}",
                status_code,
                response=summary,
            )
        news.failing.add(endpoint.id)
        error = f"HTTP {status_code}: {summary}" if status_code else summary
        return temporary_failure(
            delivery,
            started,
            self.clock(),
            error,
            status_code,
            schedule=WEBHOOK_RETRY_SCHEDULE,
            jitter=self.jitter,
            retry_after=response.retry_after,
            response=summary,
        )


async def record(
    session: AsyncSession, settings: NotifierSettings, sent: SentBatch, now: datetime
) -> None:
    """What a batch did: each delivery's next state and attempt, the mailboxes that
    bounced for good (published, so the subject's owner can phone the person), and the
    endpoints' health (a long failure or a 410 disables an endpoint)."""
    await deliveries.record_outcomes(session, sent.outcomes, now)
    bounces = [
        outcome
        for outcome in sent.outcomes
        if outcome.attempt is not None
        and outcome.delivery.channel == Channel.EMAIL
        and outcome.attempt.status_code in HARD_BOUNCE_CODES
    ]
    await outbox.publish_many(
        session,
        [
            (
                EmailBouncedV1(
                    delivery_id=bounce.delivery.id,
                    recipient=bounce.delivery.recipient,
                    about_subject=bounce.delivery.subject,
                    event_type_notified=bounce.delivery.event_type,
                    reply=bounce.error or "",
                    bounced_at=now,
                ),
                bounce.delivery.subject,
            )
            for bounce in bounces
        ],
    )
    await webhooks.record_health(
        session,
        settings,
        healthy=sent.news.healthy,
        failing=sent.news.failing,
        gone=sent.news.gone,
        now=now,
    )
