"""`guichet up` on a fresh data dir: health, readiness, the four contracts, data kept."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from guichet_common.embedded import EmbeddedPostgres
from guichet_common.testing.server import free_port

from .running import ROOT, SERVICES, Guichet, clean_env, cli_token, run_sql

pytestmark = pytest.mark.integration


@pytest.fixture
def data_dir(tmp_path: Path) -> Iterator[Path]:
    path = tmp_path / "var"
    yield path
    EmbeddedPostgres(path).stop()  # whatever happened, leave no server behind


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
        assert second.stop(signal.SIGTERM) == 0
    assert EmbeddedPostgres(data_dir).running_port() is None, "SIGTERM must stop PostgreSQL"


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
