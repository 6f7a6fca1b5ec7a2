"""`guichet up` on a fresh data dir: health, readiness, the four contracts, data kept."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import create_async_engine

from guichet_common.embedded import EmbeddedPostgres

pytestmark = pytest.mark.integration

ROOT = Path(__file__).resolve().parents[2]
SERVICES = ("ticketing", "garage", "imaging", "notifier")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


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

    def stop(self) -> int:
        self.process.send_signal(signal.SIGINT)
        try:
            return self.process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            self.process.kill()
            raise


@pytest.fixture
def data_dir(tmp_path: Path) -> Iterator[Path]:
    path = tmp_path / "var"
    yield path
    EmbeddedPostgres(path).stop()  # whatever happened, leave no server behind


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


def test_guichet_up_serves_everything_and_keeps_data(data_dir: Path) -> None:
    first = Guichet(data_dir)
    try:
        ready = httpx.get(first.base + "/readyz", timeout=10)
        assert ready.status_code == 200, ready.text
        assert (data_dir / "run" / "url").read_text().strip() == first.base
        assert "RuntimeDirWarning" not in first.log.read_text()
        # No proxy is trusted by default: a local client cannot pick its rate-limit identity.
        statuses = [
            httpx.post(f"{first.base}/api/garage/requests", json={}, timeout=10).status_code
            for _ in range(6)
        ]
        assert statuses == [422] * 5 + [429]
        forged = httpx.post(
            f"{first.base}/api/garage/requests",
            json={},
            headers={"X-Forwarded-For": "203.0.113.9"},
            timeout=10,
        )
        assert forged.status_code == 429
        assert ready.json()["checks"] == {"database": "ok", "broker": "ok"}
        for name in SERVICES:
            served = httpx.get(f"{first.base}/api/{name}/openapi.json", timeout=10)
            assert served.status_code == 200
            committed = json.loads((ROOT / "services" / name / "openapi.json").read_text())
            assert served.json() == committed, f"{name}: served OpenAPI differs from committed"
            assert httpx.get(f"{first.base}/api/{name}/docs", timeout=10).status_code == 200
        missing = httpx.get(first.base + "/api/ticketing/nope", timeout=10)
        assert missing.status_code == 404
        assert missing.headers["content-type"] == "application/problem+json"
        token = cli_token(data_dir, "admin", "ops-1")
        created = httpx.post(
            f"{first.base}/api/ticketing/api-keys",
            json={"name": "GLPI sync", "scopes": ["ticketing:read"]},
            headers={"Authorization": f"Bearer {token}"},
            timeout=10,
        )
        assert created.status_code == 201, created.text
        forged = httpx.get(
            f"{first.base}/api/ticketing/api-keys",
            headers={"Authorization": "Bearer " + token[:-4] + "AAAA"},
            timeout=10,
        )
        assert forged.status_code == 401
        metrics = httpx.get(first.base + "/metrics", timeout=10)
        assert "guichet_http_request_seconds" in metrics.text
        run_sql(
            data_dir,
            "INSERT INTO ticketing.api_key (key_id, name, secret_hash) "
            "VALUES ('persisted', 'kept across restarts', 'x') RETURNING key_id",
        )
        twin = subprocess.run(
            [
                sys.executable,
                "-m",
                "guichet",
                "up",
                "--port",
                str(free_port()),
                "--data-dir",
                str(data_dir),
            ],
            capture_output=True,
            text=True,
            timeout=60,
            env=clean_env(),
        )
        assert twin.returncode != 0
        assert "another `guichet up` is running" in twin.stderr
    finally:
        assert first.stop() == 0
    assert EmbeddedPostgres(data_dir).running_port() is None, "Ctrl-C must stop PostgreSQL"
    assert not (data_dir / "run" / "url").exists(), "a stopped Guichet is not advertised"

    # A crash leaves postmaster.pid behind, naming a PID now used by another process.
    (data_dir / "postgres" / "postmaster.pid").write_text(
        f"{os.getpid()}\n{data_dir / 'postgres'}\n1700000000\n{free_port()}\n\n127.0.0.1\n"
        "  5432001         0\nready   \n"
    )

    second = Guichet(data_dir)
    try:
        assert httpx.get(second.base + "/readyz", timeout=10).status_code == 200
        kept = run_sql(data_dir, "SELECT name FROM ticketing.api_key WHERE key_id = 'persisted'")
        assert kept == "kept across restarts"
    finally:
        assert second.stop() == 0


def test_a_busy_port_is_said_in_one_sentence_before_anything_starts(tmp_path: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        command = ["up", "--port", str(port), "--data-dir", str(tmp_path / "var")]
        result = subprocess.run(
            [sys.executable, "-m", "guichet", *command],
            capture_output=True,
            text=True,
            timeout=60,
            env=clean_env(),
        )
    assert result.returncode == 2
    assert result.stderr.strip() == (
        f"Cannot listen on 127.0.0.1 port {port} (Address already in use): stop what uses it, "
        "or choose another port with --port."
    )
    assert not (tmp_path / "var").exists(), "no initdb, no migration before the port is free"
