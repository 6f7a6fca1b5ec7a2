"""The sender's boundaries: one cycle is a claim transaction, sending with no transaction
open, then a record transaction. Lanes run cycles side by side; the worker's background
task runs them forever."""

from __future__ import annotations

import asyncio
import time

from guichet_common.db import SessionFactory, unit_of_work
from guichet_common.logging import get_logger
from guichet_common.runtime import WorkerContext
from notifier.deps import NotifierState
from notifier.sending import service
from notifier.sending.service import Sender
from notifier.settings import NotifierSettings

log = get_logger(__name__)


async def send_once(factory: SessionFactory, settings: NotifierSettings, sender: Sender) -> int:
    """One batch: claimed and committed, sent, recorded. Returns how many were claimed."""
    # Past half the lease, what is not sent yet goes back unsent: another sender may claim
    # it once the lease ends, and must not find it half-done.
    deadline = time.monotonic() + settings.sender_lease_seconds / 2
    async with unit_of_work(factory) as session:
        batch = await service.claim(session, settings, sender.clock())
    if not batch.deliveries:
        return 0
    sent = await sender.send(batch, deadline)
    async with unit_of_work(factory) as session:
        await service.record(session, settings, sent, sender.clock())
    return len(batch.deliveries)


async def drain(factory: SessionFactory, settings: NotifierSettings, sender: Sender) -> int:
    """Batches until nothing is due, in a few lanes: while one lane talks to the database,
    another uses the network (claims never overlap: SKIP LOCKED)."""

    async def lane() -> int:
        total = 0
        while (handled := await send_once(factory, settings, sender)) > 0:
            total += handled
        return total

    lanes = await asyncio.gather(*(lane() for _ in range(settings.sender_lanes)))
    return sum(lanes)


async def run_sender(context: WorkerContext[NotifierSettings, NotifierState]) -> None:
    """The worker's background task: send everything due, then a short nap, forever."""
    settings = context.settings
    sender = Sender(
        settings, context.state.email_transport, context.state.http, context.state.webhook_http
    )
    while True:
        try:
            await drain(context.session_factory, settings, sender)
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # the sender must outlive database outages
            log.warning("sender batch failed", error=repr(exc))
        await asyncio.sleep(settings.sender_poll_seconds)
