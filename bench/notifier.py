"""Notifier benchmark: the sender beside bare clients, in the same run, on the same sinks.

- emails/s: the notifier's sender (claim from PostgreSQL, render the French templates, build
  the MIME message, send on its one reused SMTP connection, record the attempt) to a local
  aiosmtpd sink, beside a bare aiosmtplib loop sending a prebuilt message on one connection.
- webhooks/s: the sender (claim, sign per Standard Webhooks, POST through httpx with its
  concurrency, record) to a local receiver, beside a bare httpx loop with the same
  concurrency posting a prebuilt body with the same headers.
Sinks run in their own processes. The webhook receiver is a raw asyncio HTTP responder;
`wrk` measures it alone first, to show it is not the limit. Rounds alternate baseline and
notifier; each figure is the best of its rounds. Prints one JSON line last.

usage: python bench/notifier.py [--quick] [--emails N] [--webhooks N] [--rounds R]
env: GUICHET_TEST_DATABASE_URL (default: local PostgreSQL)
"""

from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing as mp
import os
import re
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import aiosmtplib
import httpx
import uvloop
from aiosmtpd.controller import Controller
from sqlalchemy import delete, func, select
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import create_async_engine

# Run as a script, this file's directory leads sys.path and its name would hide the
# `notifier` package.
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != Path(__file__).resolve().parent]

from guichet_common.db import SessionFactory, make_session_factory, unit_of_work  # noqa: E402
from guichet_common.events import new_event_id  # noqa: E402
from guichet_common.settings import asyncpg_url  # noqa: E402
from guichet_common.testing.bench import wait_port  # noqa: E402
from guichet_common.testing.plugin import alembic_upgrade  # noqa: E402
from guichet_common.testing.server import free_port  # noqa: E402
from notifier.deliveries import service as deliveries_service  # noqa: E402
from notifier.deliveries.models import (  # noqa: E402
    AttemptTrigger,
    Delivery,
    DeliveryAttempt,
    DeliveryState,
    StoredEvent,
)
from notifier.deps import NotifierState  # noqa: E402
from notifier.rules.service import SAMPLES, rules_for  # noqa: E402
from notifier.sending.handlers import drain  # noqa: E402
from notifier.sending.service import Sender  # noqa: E402
from notifier.settings import NotifierSettings  # noqa: E402
from notifier.webhooks import repository as webhooks_repository  # noqa: E402
from notifier.webhooks.models import WebhookEndpoint  # noqa: E402
from notifier.webhooks.signing import new_secret  # noqa: E402

DATABASE_URL = asyncpg_url(
    os.environ.get("GUICHET_TEST_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
)
SERVICE_ROOT = Path(__file__).resolve().parents[1] / "services" / "notifier"
CONCURRENCY = NotifierSettings().sender_webhook_concurrency


# --- sinks, each in its own process -------------------------------------------------------


class SinkHandler:
    async def handle_DATA(self, _server: Any, _session: Any, _envelope: Any) -> str:
        return "250 2.0.0 Ok: queued"


def smtp_sink_process(port: int, stop: Any) -> None:
    controller = Controller(SinkHandler(), hostname="127.0.0.1", port=port)
    controller.start()
    stop.wait()
    controller.stop()


RESPONSE = b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\ncontent-type: text/plain\r\n\r\nok"


def http_sink_process(port: int, stop: Any) -> None:
    async def serve(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                length = re.search(rb"(?i)\r\ncontent-length:\s*(\d+)", head)
                if length:
                    await reader.readexactly(int(length.group(1)))
                writer.write(RESPONSE)
        except (asyncio.IncompleteReadError, ConnectionError):
            writer.close()

    async def serve_until_stopped() -> None:
        server = await asyncio.start_server(serve, "127.0.0.1", port, backlog=1024)
        async with server:
            await asyncio.to_thread(stop.wait)

    uvloop.run(serve_until_stopped())


def receiver_capacity(url: str, seconds: int) -> float:
    """The receiver alone under wrk (2 threads, 64 connections)."""
    lua = (
        "wrk.method='POST'; wrk.body=string.rep('x', 400); "
        "wrk.headers['content-type']='application/json'"
    )
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as script:
        script.write(lua)
    try:
        output = subprocess.run(
            ["wrk", "-t2", "-c64", f"-d{seconds}s", "-s", script.name, url],
            capture_output=True,
            text=True,
            check=True,
        ).stdout
    finally:
        os.unlink(script.name)
    match = re.search(r"Requests/sec:\s*([\d.]+)", output)
    assert match, output
    return float(match.group(1))


# --- baselines -----------------------------------------------------------------------------


def sample_message() -> EmailMessage:
    message = EmailMessage()
    message["From"] = "garage@lycee.example"
    message["To"] = "client@example.org"
    message["Subject"] = "Demande DEM-2026-0021 bien reçue"
    message.set_content("Bonjour,\n" + "Le garage a bien reçu votre demande.\n" * 10)
    message.add_alternative("<p>" + "Le garage a bien reçu votre demande.</p>" * 10, subtype="html")
    return message


async def bare_smtp(port: int, count: int) -> float:
    message = sample_message()
    client = aiosmtplib.SMTP(hostname="127.0.0.1", port=port)
    await client.connect()
    started = time.perf_counter()
    for _ in range(count):
        await client.send_message(message)
    elapsed = time.perf_counter() - started
    await client.quit()
    return count / elapsed


async def bare_httpx(url: str, count: int) -> float:
    body = json.dumps(
        {"type": "garage.request.status_changed.v1", "data": SAMPLES["garage.request.submitted.v1"]}
    ).encode()
    # The same request on the wire as a webhook (its headers, precomputed): the baseline
    # leaves out only what the sender adds (signing, claiming, recording).
    headers = {
        "content-type": "application/json",
        "user-agent": "Guichet-Webhooks/1.0",
        "webhook-id": f"msg_{uuid.uuid4().hex}",
        "webhook-timestamp": str(int(time.time())),
        "webhook-signature": "v1," + "A" * 43 + "=",
    }
    remaining = iter(range(count))
    limits = httpx.Limits(max_connections=CONCURRENCY)
    async with httpx.AsyncClient(limits=limits) as client:

        async def worker() -> None:
            for _ in remaining:
                response = await client.post(url, content=body, headers=headers)
                assert response.status_code == 200

        started = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(CONCURRENCY)))
        return count / (time.perf_counter() - started)


# --- the notifier's sender -----------------------------------------------------------------


def garage_event(event_type: str, n: int, now: datetime) -> StoredEvent:
    data = {**SAMPLES["garage.request.submitted.v1"], "client_email": f"client{n}@example.org"}
    return StoredEvent(
        id=new_event_id(),
        type=event_type,
        source="/services/garage",
        subject=f"DEM-2026-{n:04d}",
        time=now,
        data=data,
    )


async def notifier_rate(
    factory: SessionFactory,
    settings: NotifierSettings,
    event_type: str,
    count: int,
    endpoint_url: str | None,
) -> float:
    """Queues `count` deliveries (untimed, in bulk), then times the sender draining them."""
    now = datetime.now(UTC)
    events = [garage_event(event_type, n, now) for n in range(count)]
    trigger = AttemptTrigger.SCHEDULED
    async with unit_of_work(factory) as session:
        for model in (DeliveryAttempt, Delivery, WebhookEndpoint, StoredEvent):
            await session.execute(delete(model))
        session.add_all(events)
        await session.flush()
        if endpoint_url is not None:
            endpoint = WebhookEndpoint(
                id=new_event_id(),
                url=endpoint_url,
                event_types=["garage.*"],
                secret=new_secret(),
                created_at=now,
            )
            await webhooks_repository.save(session, endpoint)
            wanted = [
                deliveries_service.new_webhook(event, endpoint.id, now, trigger) for event in events
            ]
        else:
            wanted = [
                deliveries_service.new_email(event, rule.template, address, settings, now, trigger)
                for event in events
                for rule in rules_for(event.type)
                for address in rule.audience.resolve(event.data, settings)
            ]
        await deliveries_service.add(session, wanted)
    state = NotifierState.open(settings)
    try:
        sender = Sender(settings, state.email_transport, state.http, state.webhook_http)
        started = time.perf_counter()
        sent = await drain(factory, settings, sender)
        elapsed = time.perf_counter() - started
    finally:
        await state.close()
    async with factory() as session:
        failed = await session.scalar(
            select(func.count()).select_from(Delivery).where(Delivery.state != DeliveryState.SENT)
        )
    assert failed == 0 and sent == count, (failed, sent)
    return sent / elapsed


async def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small run, under a minute")
    parser.add_argument("--emails", type=int)
    parser.add_argument("--webhooks", type=int)
    parser.add_argument("--rounds", type=int)
    args = parser.parse_args()
    emails = args.emails or (1_000 if args.quick else 5_000)
    webhooks = args.webhooks or (2_000 if args.quick else 10_000)
    rounds = args.rounds or (2 if args.quick else 3)

    name = f"guichet_bench_notifier_{uuid.uuid4().hex[:8]}"
    admin = create_async_engine(DATABASE_URL, isolation_level="AUTOCOMMIT")
    async with admin.connect() as conn:
        await conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
    database_url = make_url(DATABASE_URL).set(database=name).render_as_string(hide_password=False)
    stop = mp.Event()
    smtp_port, http_port = free_port(), free_port()
    sinks = [
        mp.Process(target=smtp_sink_process, args=(smtp_port, stop), daemon=True),
        mp.Process(target=http_sink_process, args=(http_port, stop), daemon=True),
    ]
    for sink in sinks:
        sink.start()
    engine = create_async_engine(database_url, pool_size=5)
    try:
        await asyncio.to_thread(alembic_upgrade, SERVICE_ROOT, database_url)
        wait_port(smtp_port)
        wait_port(http_port)
        url = f"http://127.0.0.1:{http_port}/hooks"
        capacity = await asyncio.to_thread(receiver_capacity, url, 3 if args.quick else 10)
        factory = make_session_factory(engine)
        with tempfile.TemporaryDirectory() as data_dir:
            settings = NotifierSettings(
                database_url=database_url,
                smtp_url=f"smtp://127.0.0.1:{smtp_port}",
                data_dir=Path(data_dir),
                mail_from="Garage pédagogique <garage@lycee.example>",
                webhooks_allow_private=True,
            )
            # Alternating rounds, best of each: the machine is shared, and one slow moment
            # must not decide a ratio either way.
            email_base = email_ours = hook_base = hook_ours = 0.0
            for _ in range(rounds):
                email_base = max(email_base, await bare_smtp(smtp_port, emails))
                submitted = "garage.request.submitted.v1"
                email_ours = max(
                    email_ours, await notifier_rate(factory, settings, submitted, emails, None)
                )
                hook_base = max(hook_base, await bare_httpx(url, webhooks))
                changed = "garage.request.status_changed.v1"
                hook_ours = max(
                    hook_ours, await notifier_rate(factory, settings, changed, webhooks, url)
                )
    finally:
        await engine.dispose()
        stop.set()
        for sink in sinks:
            sink.join(5)
        async with admin.connect() as conn:
            await conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await admin.dispose()

    email_ratio = email_ours / email_base
    hook_ratio = hook_ours / hook_base
    print(f"receiver alone (wrk -t2 -c64): {capacity:,.0f} req/s")
    print(
        f"emails   bare aiosmtplib: {email_base:6.0f}/s   notifier: {email_ours:6.0f}/s   "
        f"ratio {email_ratio:.2f}"
    )
    print(
        f"webhooks bare httpx x{CONCURRENCY}: {hook_base:6.0f}/s   notifier: {hook_ours:6.0f}/s   "
        f"ratio {hook_ratio:.2f}"
    )
    print(
        json.dumps(
            {
                "emails": emails,
                "emails_per_s": round(email_ours, 1),
                "emails_baseline_per_s": round(email_base, 1),
                "webhooks": webhooks,
                "webhooks_per_s": round(hook_ours, 1),
                "webhooks_baseline_per_s": round(hook_base, 1),
                "webhook_concurrency": CONCURRENCY,
                "receiver_capacity_per_s": round(capacity, 1),
                "rounds": rounds,
                "ratio": round(min(email_ratio, hook_ratio), 3),  # the weaker of the two
                "ratios": {"emails": round(email_ratio, 3), "webhooks": round(hook_ratio, 3)},
            }
        )
    )


if __name__ == "__main__":
    uvloop.run(main())
