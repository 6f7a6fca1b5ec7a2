"""Parked messages of the embedded default: `/api/ops/dlq` and `guichet dlq` over HTTP."""

from __future__ import annotations

import asyncio
import os
import socket
import subprocess
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import uvicorn
from fastapi import FastAPI
from sqlalchemy import func, update

from guichet.ops import ServiceOutbox, ops_router
from guichet_common.auth import JwtVerifier
from guichet_common.events import Envelope, build_envelope
from guichet_common.http import install_problem_handlers
from guichet_common.messaging.bus import OutgoingMessage, QueueSpec, RetryPolicy
from guichet_common.messaging.inprocess import InProcessBus
from guichet_common.testing.bus import BusSchema, ThingHappenedV1, wait_for


def guichet(*args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("GUICHET_")}
    return subprocess.run(
        [sys.executable, "-m", "guichet", *args],
        capture_output=True,
        text=True,
        timeout=60,
        env=env,
    )


async def test_dlq_of_the_in_process_bus_listed_and_replayed_over_http(tmp_path: Path) -> None:
    # The secret the CLI will sign its ops token with.
    first = await asyncio.to_thread(
        guichet, "token", "--role", "ops", "--sub", "x", "--data-dir", str(tmp_path)
    )
    assert first.returncode == 0, first.stderr
    secret = (tmp_path / "secrets" / "jwt_secret").read_text().strip()

    bus = InProcessBus()
    fixed = False
    handled: list[str] = []

    async def handler(envelope: Envelope) -> None:
        if not fixed:
            raise RuntimeError("template missing")
        handled.append(str(envelope.id))

    await bus.consume(QueueSpec("notifier.mail", ("testsvc.#",), 1), handler, RetryPolicy(()))
    envelope = build_envelope(service="testsvc", event=ThingHappenedV1(n=1))
    await bus.publish_batch([OutgoingMessage(envelope.type, envelope.to_json(), "m1")])

    async def parked() -> bool:
        return len(bus.parked["notifier.mail"]) == 1

    await wait_for(parked)

    app = FastAPI()
    app.state.jwt_verifier = JwtVerifier(secret=secret, jwks_url=None, issuer="guichet")
    install_problem_handlers(app)
    app.include_router(ops_router(lambda: bus, None, ["notifier.mail"], {}))
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(app, port=port, log_level="warning"))
    serving = asyncio.create_task(server.serve())
    try:

        async def started() -> bool:
            return bool(server.started)

        await wait_for(started)
        url = f"http://127.0.0.1:{port}"
        listing = await asyncio.to_thread(
            guichet, "dlq", "list", "--url", url, "--data-dir", str(tmp_path)
        )
        assert listing.returncode == 0, listing.stderr
        assert "notifier.mail.dlq  1 parked" in listing.stdout
        assert str(envelope.id) in listing.stdout
        assert "RuntimeError: template missing" in listing.stdout

        fixed = True
        replay = await asyncio.to_thread(
            guichet, "dlq", "replay", "notifier.mail", "--url", url, "--data-dir", str(tmp_path)
        )
        assert replay.returncode == 0, replay.stderr
        assert "replayed 1 message(s) to notifier.mail" in replay.stdout
        await bus.drain()
        assert handled == [str(envelope.id)]

        stranger = await asyncio.to_thread(
            guichet, "dlq", "list", "--url", url, "--data-dir", str(tmp_path / "another")
        )
        assert stranger.returncode != 0 and "401" in stranger.stderr

        for command in (["list", "--queue", "notifier.garage"], ["replay", "notifier.garage"]):
            unknown = await asyncio.to_thread(
                guichet, "dlq", *command, "--url", url, "--data-dir", str(tmp_path)
            )
            assert unknown.returncode == 1, unknown.stdout
            assert "no consumer queue notifier.garage" in unknown.stderr
            assert "notifier.mail" in unknown.stderr, "the known queues are named"
    finally:
        server.should_exit = True
        await serving
        await bus.close()


HEAVY = ("fastapi", "sqlalchemy", "pydantic_settings", "httpx", "garage", "notifier", "ticketing")


def imports_of(*args: str) -> tuple[subprocess.CompletedProcess[str], set[str]]:
    """A CLI call under `-X importtime`: its result and the top-level packages it imported."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("GUICHET_")}
    result = subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "guichet", *args],
        capture_output=True,
        text=True,
        timeout=60,
        env=env,
    )
    modules = {
        line.split("|")[2].strip().split(".")[0]
        for line in result.stderr.splitlines()
        if line.startswith("import time:") and line.count("|") == 2
    }
    return result, modules


@asynccontextmanager
async def ops_server(
    data_dir: Path, bus: InProcessBus, queues: list[str], bus_schema: BusSchema
) -> AsyncIterator[None]:
    """The ops API over HTTP, found by the CLI as `guichet up` leaves it: its URL in
    `<data dir>/run/url`, its JWT secret in `<data dir>/secrets/`."""
    secret = "ops-cli-secret-ops-cli-secret-ops-cli-secret"
    app = FastAPI()
    app.state.jwt_verifier = JwtVerifier(secret=secret, jwks_url=None, issuer="guichet")
    install_problem_handlers(app)
    outboxes = {"testsvc": ServiceOutbox(bus_schema.session_factory, bus_schema.tables)}
    app.include_router(ops_router(lambda: bus, None, queues, outboxes))
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    (data_dir / "secrets").mkdir()
    (data_dir / "secrets" / "jwt_secret").write_text(secret)
    (data_dir / "run").mkdir()
    (data_dir / "run" / "url").write_text(f"http://127.0.0.1:{port}\n")
    server = uvicorn.Server(uvicorn.Config(app, port=port, log_level="warning"))
    serving = asyncio.create_task(server.serve())
    try:

        async def started() -> bool:
            return bool(server.started)

        await wait_for(started)
        yield
    finally:
        server.should_exit = True
        await serving


async def test_token_dlq_and_outbox_answer_at_once(tmp_path: Path, bus_schema: BusSchema) -> None:
    """They import no service, no web framework and no database toolkit (what made every
    call take seconds), and find the running Guichet through the URL `guichet up` writes
    in the data directory."""
    bus = InProcessBus()
    await bus.consume(QueueSpec("notifier.events", ("testsvc.#",), 1), _ignore, RetryPolicy(()))
    async with ops_server(tmp_path, bus, ["notifier.events"], bus_schema):
        data_dir = ["--data-dir", str(tmp_path)]
        for command, expected in (
            (["token", "--role", "ops", "--sub", "x"], "eyJ"),
            (["dlq", "list"], "notifier.events.dlq  0 parked"),
            (["outbox", "status"], f"{bus_schema.tables.schema} pending=0 oldest=-"),
        ):
            result, modules = await asyncio.to_thread(imports_of, *command, *data_dir)
            assert result.returncode == 0, result.stderr[-2000:]
            assert expected in result.stdout
            assert not modules.intersection(HEAVY), f"{command}: {modules & set(HEAVY)}"


async def _ignore(_envelope: Envelope) -> None:
    return None


async def test_rows_set_aside_are_shown_and_resent_over_http(
    tmp_path: Path, bus_schema: BusSchema
) -> None:
    """`guichet outbox status` lists what the bus refused after every attempt, and
    `guichet outbox resend` puts it back to the relay, through a running Guichet."""
    [aside, _pending] = await bus_schema.publish_committed(2)
    outbox = bus_schema.tables.outbox
    async with bus_schema.engine.begin() as conn:
        await conn.execute(
            update(outbox)
            .where(outbox.c.id == aside.id)
            .values(set_aside_at=func.now(), attempts=5, last_error="refused by the broker: Nack")
        )
    data_dir = ["--data-dir", str(tmp_path)]
    async with ops_server(tmp_path, InProcessBus(), [], bus_schema):
        status = await asyncio.to_thread(guichet, "outbox", "status", *data_dir)
        assert status.returncode == 0, status.stderr
        assert f"{bus_schema.tables.schema} pending=1" in status.stdout
        assert "set_aside=1" in status.stdout
        assert f"{aside.id}  testsvc.thing.happened.v1" in status.stdout
        assert "after 5 attempts: refused by the broker: Nack" in status.stdout
        unknown = await asyncio.to_thread(guichet, "outbox", "resend", "nosuch", *data_dir)
        assert unknown.returncode != 0 and "testsvc" in unknown.stderr
        resent = await asyncio.to_thread(guichet, "outbox", "resend", "testsvc", *data_dir)
        assert resent.returncode == 0, resent.stderr
        assert "testsvc: 1 row(s) back to the relay" in resent.stdout
        status = await asyncio.to_thread(guichet, "outbox", "status", *data_dir)
        assert "pending=2" in status.stdout and "set_aside=0" in status.stdout
