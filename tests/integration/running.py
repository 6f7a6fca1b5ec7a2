"""`guichet up` as an operator starts it, in a subprocess, for the tests that need the
whole thing over HTTP; and tokens minted by its CLI."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import create_async_engine

from guichet.services import SERVICES as ENTRIES
from guichet_common.embedded import EmbeddedPostgres
from guichet_common.testing.server import free_port

ROOT = Path(__file__).resolve().parents[2]
SERVICES = tuple(entry.name for entry in ENTRIES)


def clean_env() -> dict[str, str]:
    """The caller's environment without Guichet settings: the embedded default."""
    return {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("GUICHET_", "TICKETING_", "GARAGE_", "IMAGING_", "NOTIFIER_"))
        or k.startswith("GUICHET_TEST_")
    }


def cli_token(data_dir: Path, role: str, subject: str) -> str:
    """A token from `guichet token`, as an operator would mint one (its last line)."""
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "guichet",
            "token",
            "--role",
            role,
            "--sub",
            subject,
            "--data-dir",
            str(data_dir),
        ],
        capture_output=True,
        text=True,
        check=True,
        env=clean_env(),
    )
    return result.stdout.strip().splitlines()[-1]


class Guichet:
    def __init__(self, data_dir: Path, extra_env: dict[str, str] | None = None) -> None:
        self.data_dir = data_dir
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.log = data_dir.parent / f"guichet-{self.port}.log"
        self.process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "guichet",
                "up",
                "--port",
                str(self.port),
                "--data-dir",
                str(data_dir),
            ],
            env={**clean_env(), **(extra_env or {})},
            stdout=self.log.open("w"),
            stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + 120
        while True:
            if self.process.poll() is not None:
                raise AssertionError(f"guichet up exited: {self.log.read_text()[-3000:]}")
            try:
                if httpx.get(self.base + "/healthz", timeout=1).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                raise AssertionError(f"guichet up not healthy: {self.log.read_text()[-3000:]}")
            time.sleep(0.3)

    def stop(self, signum: signal.Signals = signal.SIGINT) -> int:
        """Ctrl-C by default; SIGTERM as a service manager stops it."""
        self.process.send_signal(signum)
        try:
            return self.process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            self.process.kill()
            raise


def run_sql(data_dir: Path, sql: str) -> object:
    return asyncio.run(embedded_scalar(data_dir, sql))


async def embedded_scalar(data_dir: Path, sql: str) -> object:
    embedded = EmbeddedPostgres(data_dir)
    embedded.port = embedded.running_port()
    assert embedded.port is not None, "embedded PostgreSQL is not running"
    engine = create_async_engine(embedded.url)
    try:
        async with engine.begin() as conn:
            return await conn.scalar(sa.text(sql))
    finally:
        await engine.dispose()
