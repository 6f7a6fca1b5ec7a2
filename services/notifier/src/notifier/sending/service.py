"""The sender: claims due deliveries, sends them, records every attempt and what comes next.

A batch is claimed (state `sending`, leased) and committed before any network call, so a
crash never sends twice from the database's point of view: a lease that expires puts the
delivery back as `retrying`, and the same Message-ID / webhook-id goes out again.
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
from sqlalchemy import Row
from sqlalchemy.ext.asyncio import AsyncSession

from guichet_common.db import SessionFactory, unit_of_work
from guichet_common.events import utcnow
from guichet_common.logging import get_logger
from guichet_common.runtime import WorkerContext
from notifier.deliveries import repository as deliveries_repository
from notifier.deliveries.models import AttemptOutcome, AttemptTrigger, Channel, DeliveryState
from notifier.deliveries.repository import HARD_BOUNCE_CODES
from notifier.deliveries.service import thread_root_id
from notifier.events import EmailBouncedV1, outbox
from notifier.rules.catalogue import rule_for_template
from notifier.rules.rendering import UnknownTemplate, render
from notifier.sending.email import (
    Attachment,
    EmailTransport,
    FileTransport,
    OutgoingEmail,
    PermanentFailure,
    SmtpTransport,
    TemporaryFailure,
    wire_email,
)
from notifier.sending.webhook import RESPONSE_CAP, post_webhook
from notifier.settings import NotifierSettings
from notifier.webhooks import repository as webhooks_repository
from notifier.webhooks import service as webhooks_service
from notifier.webhooks.signing import payload_body
from notifier.webhooks.ssrf import UnsafeDestination, check_destination

log = get_logger(__name__)

# Seconds to wait after the 1st, 2nd, … failed attempt (the first attempt is immediate).
WEBHOOK_RETRY_SCHEDULE: tuple[float, ...] = (5, 300, 1800, 7200, 18000, 36000, 36000)
EMAIL_RETRY_SCHEDULE: tuple[float, ...] = (30, 120, 600, 1800, 3600, 7200, 14400)
MAX_RETRY_AFTER = 24 * 3600.0

Clock = Callable[[], datetime]
Jitter = Callable[[float], float]


def default_jitter(delay: float) -> float:
    """±10 %, so endpoints that failed together are not retried in lockstep."""
    return delay * random.uniform(0.9, 1.1)


@dataclass
class Outcome:
    delivery: Row[Any]
    state: DeliveryState
    next_attempt_at: datetime
    error: str | None
    attempt: dict[str, Any] | None
    sent_at: datetime | None = None


@dataclass
class EndpointNews:
    healthy: set[UUID] = field(default_factory=set)
    failing: set[UUID] = field(default_factory=set)
    gone: set[UUID] = field(default_factory=set)


class Sender:
    def __init__(
        self,
        session_factory: SessionFactory,
        settings: NotifierSettings,
        *,
        email_transport: EmailTransport,
        http: httpx.AsyncClient,
        clock: Clock = utcnow,
        jitter: Jitter = default_jitter,
    ) -> None:
        self.session_factory = session_factory
        self.settings = settings
        self.email_transport = email_transport
        self.http = http
        self.clock = clock
        self.jitter = jitter
        self._webhook_slots = asyncio.Semaphore(settings.sender_webhook_concurrency)

    @classmethod
    def from_settings(
        cls, session_factory: SessionFactory, settings: NotifierSettings, **kwargs: Any
    ) -> Sender:
        transport: EmailTransport = (
            SmtpTransport(settings.smtp_url)
            if settings.smtp_url
            else FileTransport(settings.data_dir / "mail")
        )
        http = httpx.AsyncClient(
            timeout=settings.webhook_timeout_seconds,
            follow_redirects=False,
            limits=httpx.Limits(max_connections=settings.sender_webhook_concurrency),
        )
        return cls(session_factory, settings, email_transport=transport, http=http, **kwargs)

    async def close(self) -> None:
        await self.email_transport.close()
        await self.http.aclose()

    async def run(self) -> None:
        """Forever: send everything due, then a short nap."""
        while True:
            try:
                await self.drain()
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # the sender must outlive database outages
                log.warning("sender batch failed", error=repr(exc))
            await asyncio.sleep(self.settings.sender_poll_seconds)

    async def drain(self) -> int:
        """Batches until nothing is due, in a few lanes: while one lane talks to the
        database, another uses the network (claims never overlap: SKIP LOCKED)."""

        async def lane() -> int:
            total = 0
            while (handled := await self.run_once()) > 0:
                total += handled
            return total

        lanes = await asyncio.gather(*(lane() for _ in range(self.settings.sender_lanes)))
        return sum(lanes)

    async def run_once(self) -> int:
        now = self.clock()
        lease_until = now + timedelta(seconds=self.settings.sender_lease_seconds)
        # Past half the lease, what is not sent yet goes back unsent: another sender may
        # claim it once the lease ends, and must not find it half-done.
        deadline = time.monotonic() + self.settings.sender_lease_seconds / 2
        async with unit_of_work(self.session_factory) as session:
            await deliveries_repository.recover_expired_leases(session, now)
            claimed = await deliveries_repository.claim_due(
                session, now, lease_until, self.settings.sender_batch_size
            )
            if not claimed:
                return 0
            events = await deliveries_repository.get_events(
                session, [row.event_id for row in claimed]
            )
            endpoints = await webhooks_repository.get_endpoints(
                session, [row.endpoint_id for row in claimed if row.endpoint_id is not None]
            )
            emails = [row for row in claimed if row.channel == Channel.EMAIL]
            bounced = await deliveries_repository.hard_bounced(
                session, [row.recipient for row in emails]
            )
        # A mailbox refused for good is not tried again, unless a person asks for it.
        suppressed = [
            Outcome(row, DeliveryState.SUPPRESSED, now, "the address bounced before", None)
            for row in emails
            if row.recipient in bounced and row.next_trigger != AttemptTrigger.MANUAL
        ]
        emails = [
            row
            for row in emails
            if row.recipient not in bounced or row.next_trigger == AttemptTrigger.MANUAL
        ]
        hooks = [row for row in claimed if row.channel == Channel.WEBHOOK]
        news = EndpointNews()
        email_outcomes, hook_outcomes = await asyncio.gather(
            self._send_emails(emails, events, deadline),
            self._send_webhooks(hooks, events, endpoints, news, deadline),
        )
        await self._record([*suppressed, *email_outcomes, *hook_outcomes], news)
        return len(claimed)

    # --- email -----------------------------------------------------------------------

    async def _send_emails(
        self, rows: list[Row[Any]], events: dict[UUID, Row[Any]], deadline: float
    ) -> list[Outcome]:
        """One SMTP connection carries one transaction at a time, so mails go out in turn;
        the next one is composed while the server answers the current one."""
        composed: asyncio.Queue[tuple[Row[Any], datetime, float, Any]] = asyncio.Queue(4)

        async def compose_all() -> None:
            for row in rows:
                started_at, started = self.clock(), time.perf_counter()
                try:
                    prepared: Any = await self._compose(row, events[row.event_id], started_at)
                except (TemporaryFailure, PermanentFailure) as exc:
                    prepared = exc
                await composed.put((row, started_at, started, prepared))

        composer = asyncio.create_task(compose_all())
        try:
            outcomes = []
            for _ in rows:
                row, started_at, started, prepared = await composed.get()
                if time.monotonic() > deadline:
                    outcomes.append(self._unsent(row))
                else:
                    outcomes.append(await self._send_email(row, started_at, started, prepared))
            return outcomes
        finally:
            composer.cancel()

    async def _send_email(
        self, row: Row[Any], started_at: datetime, started: float, prepared: Any
    ) -> Outcome:
        try:
            if isinstance(prepared, Exception):
                raise prepared
            reply = await self.email_transport.send(prepared)
        except TemporaryFailure as exc:
            return self._failure(row, started_at, started, str(exc), None, EMAIL_RETRY_SCHEDULE)
        except PermanentFailure as exc:
            return self._final_failure(row, started_at, started, str(exc), exc.code)
        return self._success(row, started_at, started, reply, None)

    async def _compose(self, row: Row[Any], event: Row[Any], now: datetime) -> Any:
        rule = rule_for_template(row.template)
        try:
            rendered = render(row.template, dict(event.data))
        except (TemplateError, UnknownTemplate) as exc:
            raise PermanentFailure(f"template {row.template}: {exc}") from exc
        attachments: tuple[Attachment, ...] = ()
        if rule is not None and rule.attach_pdf_from:
            url = event.data.get(rule.attach_pdf_from)
            if url:
                attachments = (await self._fetch_pdf(str(url), event.data),)
        return wire_email(
            OutgoingEmail(
                sender=self.settings.mail_from,
                to=row.recipient,
                subject=rendered.subject,
                text=rendered.text,
                html=rendered.html,
                message_id=row.message_id,
                date=now,
                thread_root=thread_root_id(row.subject, self.settings) if row.subject else None,
                reply_to=self.settings.mail_reply_to,
                attachments=attachments,
            )
        )

    async def _fetch_pdf(self, url: str, data: dict[str, Any]) -> Attachment:
        try:
            response = await self.http.get(url)
        except httpx.HTTPError as exc:
            raise TemporaryFailure(f"attachment {url}: {type(exc).__name__}: {exc}") from exc
        if response.status_code != 200:
            raise TemporaryFailure(f"attachment {url}: HTTP {response.status_code}")
        number = data.get("quote_number")
        name = f"{number}.pdf" if number else PurePosixPath(httpx.URL(url).path).name
        return Attachment(filename=name or "document.pdf", content=response.content)

    # --- webhooks --------------------------------------------------------------------

    async def _send_webhooks(
        self,
        rows: list[Row[Any]],
        events: dict[UUID, Row[Any]],
        endpoints: dict[UUID, Row[Any]],
        news: EndpointNews,
        deadline: float,
    ) -> list[Outcome]:
        """A few workers pull from the batch (cheaper than a task per delivery); the
        semaphore bounds requests in flight across lanes."""
        pending = iter(rows)
        outcomes: list[Outcome] = []

        async def worker() -> None:
            for row in pending:
                async with self._webhook_slots:
                    outcomes.append(
                        await self._send_webhook(
                            row, events[row.event_id], endpoints, news, deadline
                        )
                    )

        workers = min(len(rows), self.settings.sender_webhook_concurrency)
        await asyncio.gather(*(worker() for _ in range(workers)))
        return outcomes

    async def _send_webhook(
        self,
        row: Row[Any],
        event: Row[Any],
        endpoints: dict[UUID, Row[Any]],
        news: EndpointNews,
        deadline: float,
    ) -> Outcome:
        endpoint = endpoints.get(row.endpoint_id)
        now = self.clock()
        if endpoint is None or endpoint.disabled_at is not None:
            return Outcome(row, DeliveryState.SUPPRESSED, now, "endpoint disabled or deleted", None)
        if time.monotonic() > deadline:
            return self._unsent(row)
        started_at = self.clock()
        started = time.perf_counter()
        try:
            await check_destination(
                endpoint.url, allow_private=self.settings.webhooks_allow_private
            )
        except UnsafeDestination as exc:
            return self._final_failure(row, started_at, started, f"refused: {exc}", None)
        response = await post_webhook(
            self.http,
            endpoint.url,
            message_id=row.message_id,
            timestamp=int(started_at.timestamp()),
            body=payload_body(event.type, event.time, event.data),
            secrets_in_use=webhooks_service.secrets_in_use(endpoint, started_at),
            now=started_at,
        )
        summary = response.body
        if response.ok:
            news.healthy.add(endpoint.id)
            return self._success(row, started_at, started, summary, response.status_code)
        if response.status_code == 410:
            news.gone.add(endpoint.id)
            return self._final_failure(
                row,
                started_at,
                started,
                f"HTTP 410: {summary}",
                response.status_code,
                response=summary,
            )
        news.failing.add(endpoint.id)
        error = f"HTTP {response.status_code}: {summary}" if response.status_code else summary
        return self._failure(
            row,
            started_at,
            started,
            error,
            response.status_code,
            WEBHOOK_RETRY_SCHEDULE,
            retry_after=response.retry_after,
            response=summary,
        )

    # --- outcomes --------------------------------------------------------------------

    def _unsent(self, row: Row[Any]) -> Outcome:
        """Back in the queue as it was, due now, no attempt counted."""
        state = DeliveryState.RETRYING if row.attempts else DeliveryState.PENDING
        return Outcome(row, state, self.clock(), row.last_error, None)

    def _attempt(
        self,
        row: Row[Any],
        started_at: datetime,
        started: float,
        outcome: AttemptOutcome,
        response: str | None,
        status_code: int | None,
    ) -> dict[str, Any]:
        return {
            "delivery_id": row.id,
            "attempted_at": started_at,
            "duration_ms": int((time.perf_counter() - started) * 1000),
            "outcome": outcome,
            "trigger": row.next_trigger,
            "status_code": status_code,
            "response": response[:RESPONSE_CAP] if response is not None else None,
        }

    def _success(
        self,
        row: Row[Any],
        started_at: datetime,
        started: float,
        response: str,
        status_code: int | None,
    ) -> Outcome:
        attempt = self._attempt(
            row, started_at, started, AttemptOutcome.SUCCESS, response, status_code
        )
        now = self.clock()
        return Outcome(row, DeliveryState.SENT, now, None, attempt, sent_at=now)

    def _final_failure(
        self,
        row: Row[Any],
        started_at: datetime,
        started: float,
        error: str,
        status_code: int | None,
        *,
        response: str | None = None,
    ) -> Outcome:
        attempt = self._attempt(
            row,
            started_at,
            started,
            AttemptOutcome.PERMANENT_FAILURE,
            error if response is None else response,
            status_code,
        )
        return Outcome(row, DeliveryState.FAILED, self.clock(), error, attempt)

    def _failure(
        self,
        row: Row[Any],
        started_at: datetime,
        started: float,
        error: str,
        status_code: int | None,
        schedule: tuple[float, ...],
        *,
        retry_after: float | None = None,
        response: str | None = None,
    ) -> Outcome:
        attempt = self._attempt(
            row,
            started_at,
            started,
            AttemptOutcome.TEMPORARY_FAILURE,
            error if response is None else response,
            status_code,
        )
        failures = row.attempts + 1
        now = self.clock()
        if failures > len(schedule):
            return Outcome(row, DeliveryState.FAILED, now, f"gave up: {error}", attempt)
        if retry_after is not None:
            delay = min(retry_after, MAX_RETRY_AFTER)
        else:
            delay = self.jitter(schedule[failures - 1])
        return Outcome(row, DeliveryState.RETRYING, now + timedelta(seconds=delay), error, attempt)

    async def _publish_bounce(self, session: AsyncSession, outcome: Outcome, now: datetime) -> None:
        row = outcome.delivery
        await outbox.publish(
            session,
            EmailBouncedV1(
                delivery_id=row.id,
                recipient=row.recipient,
                about_subject=row.subject,
                event_type_notified=row.event_type,
                reply=outcome.error or "",
                bounced_at=now,
            ),
            subject=row.subject,
        )

    async def _record(self, outcomes: list[Outcome], news: EndpointNews) -> None:
        now = self.clock()
        updates = [
            {
                "delivery_id": o.delivery.id,
                "new_state": o.state,
                "attempt_increment": 1 if o.attempt is not None else 0,
                "new_next_attempt_at": o.next_attempt_at,
                "new_last_error": o.error,
                "new_sent_at": o.sent_at,
                "new_updated_at": now,
            }
            for o in outcomes
        ]
        attempts = [o.attempt for o in outcomes if o.attempt is not None]
        async with unit_of_work(self.session_factory) as session:
            await deliveries_repository.record_outcomes(session, updates, attempts)
            for outcome in outcomes:
                attempt = outcome.attempt
                bounced = (
                    attempt is not None
                    and outcome.delivery.channel == Channel.EMAIL
                    and attempt["status_code"] in HARD_BOUNCE_CODES
                )
                if bounced:
                    await self._publish_bounce(session, outcome, now)
            await webhooks_repository.mark_healthy(session, list(news.healthy - news.failing))
            failing = await webhooks_repository.mark_failing(session, list(news.failing), now)
            limit = timedelta(days=self.settings.webhook_disable_after_days)
            for endpoint in failing:
                if endpoint.disabled_at is None and endpoint.failing_since <= now - limit:
                    reason = f"failing continuously since {endpoint.failing_since.isoformat()}"
                    await webhooks_service.disable_endpoint(session, endpoint, reason, now)
            for endpoint_id in news.gone:
                gone = await webhooks_repository.get_endpoint(session, endpoint_id, for_update=True)
                if gone is not None and gone.disabled_at is None:
                    await webhooks_service.disable_endpoint(
                        session, gone, "the endpoint answered 410 Gone", now
                    )


async def run_sender(context: WorkerContext) -> None:
    """The worker's background task."""
    settings = context.settings
    if not isinstance(settings, NotifierSettings):
        settings = NotifierSettings.model_validate(settings.model_dump())
    sender = Sender.from_settings(context.session_factory, settings)
    try:
        await sender.run()
    finally:
        await sender.close()
