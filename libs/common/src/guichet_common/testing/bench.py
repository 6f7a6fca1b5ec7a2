"""What the benchmarks in `bench/` share: a throwaway database with a service's real
migrations, a server in its own process, `wrk` driving it and its percentiles read back."""

from __future__ import annotations

import asyncio
import json
import re
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import AsyncIterator, Iterator, Sequence
from contextlib import asynccontextmanager, contextmanager
from pathlib import Path
from typing import Any

import asyncpg
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from guichet_common.settings import asyncpg_url
from guichet_common.testing.server import free_port

ROOT = Path(__file__).resolve().parents[5]

# Appended to every wrk script: latency percentiles (microseconds) as one JSON line.
WRK_SUMMARY = """
done = function(summary, latency, requests)
  io.write(string.format(
    'WRKJSON {"requests": %d, "errors": %d, "non2xx": %d, "seconds": %f, '
    .. '"p50": %d, "p95": %d, "p99": %d}\\n',
    summary.requests, summary.errors.connect + summary.errors.read + summary.errors.write
      + summary.errors.timeout, summary.errors.status, summary.duration / 1e6,
    latency:percentile(50), latency:percentile(95), latency:percentile(99)))
end
"""


def wait_port(port: int, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.05)
    raise RuntimeError(f"nothing listens on port {port}")


async def prepare_database(admin_dsn: str, service: str, extra_sql: Sequence[str] = ()) -> str:
    """A new database with `service`'s migrations applied, then `extra_sql` (a baseline's
    tables); its URL."""
    from alembic import command
    from alembic.config import Config
    from sqlalchemy.engine import make_url
    from sqlalchemy.ext.asyncio import create_async_engine

    admin_url = asyncpg_url(admin_dsn)
    name = f"guichet_bench_{service}_{uuid.uuid4().hex[:8]}"
    admin = create_async_engine(admin_url, isolation_level="AUTOCOMMIT")
    async with admin.connect() as conn:
        await conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
    await admin.dispose()
    url = make_url(admin_url).set(database=name).render_as_string(hide_password=False)
    root = ROOT / "services" / service
    config = Config(str(root / "alembic.ini"))
    config.set_main_option("script_location", str(root / "migrations"))
    config.attributes["database_url"] = url
    try:
        await asyncio.to_thread(command.upgrade, config, "head")
        engine = create_async_engine(url)
        async with engine.begin() as conn:
            for statement in extra_sql:
                await conn.exec_driver_sql(statement)
        await engine.dispose()
    except BaseException:
        await drop_database(admin_dsn, url)
        raise
    return url


async def drop_database(admin_dsn: str, url: str) -> None:
    from sqlalchemy.engine import make_url
    from sqlalchemy.ext.asyncio import create_async_engine

    name = make_url(url).database
    admin = create_async_engine(asyncpg_url(admin_dsn), isolation_level="AUTOCOMMIT")
    async with admin.connect() as conn:
        await conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    await admin.dispose()


def run_wrk(url: str, seconds: int, connections: int, script: Path) -> dict[str, Any]:
    """One wrk run (one thread: the generator leaves the other core to the server)."""
    output = subprocess.run(
        ["wrk", "-t1", f"-c{connections}", f"-d{seconds}s", "-s", str(script), url],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    match = re.search(r"WRKJSON (\{.*\})", output)
    if match is None:
        raise RuntimeError(f"wrk printed no summary:\n{output}")
    raw = json.loads(match.group(1))
    return {
        "requests_per_second": round(raw["requests"] / raw["seconds"], 1),
        "p50_ms": round(raw["p50"] / 1000, 2),
        "p95_ms": round(raw["p95"] / 1000, 2),
        "p99_ms": round(raw["p99"] / 1000, 2),
        "errors": raw["errors"],
        "non_2xx": raw["non2xx"],
    }


@contextmanager
def serving(script: Path, *arguments: str) -> Iterator[int]:
    """`python <script> --serve … --port P` in its own process; yields P."""
    port = free_port()
    server = subprocess.Popen(
        [sys.executable, str(script), *arguments, "--port", str(port)], cwd=ROOT
    )
    try:
        wait_port(port)
        yield port
    finally:
        server.terminate()
        server.wait(10)


def bare_insert_app(dsn: str, path: str, table: str, reply: dict[str, Any], status: int) -> FastAPI:
    """A baseline: FastAPI taking a JSON body and inserting it into `table` (id, body) with a
    raw asyncpg pool, answering `reply`. What the service's path costs beyond this is the
    figure a benchmark reports."""
    state: dict[str, Any] = {}

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        state["pool"] = await asyncpg.create_pool(dsn, min_size=10, max_size=10)
        yield
        await state["pool"].close()

    app = FastAPI(lifespan=lifespan)

    @app.post(path)
    async def insert(request: Request) -> JSONResponse:
        body = await request.json()
        async with state["pool"].acquire() as conn:
            row_id = await conn.fetchval(
                f"INSERT INTO {table} (id, body) VALUES ($1, $2) RETURNING id",
                uuid.uuid4(),
                json.dumps(body),
            )
        return JSONResponse({"id": str(row_id), **reply}, status_code=status)

    return app


def alternate_rounds(
    urls: dict[str, str], seconds: int, rounds: int, connections: int, script: Path
) -> tuple[dict[str, dict[str, float]], list[dict[str, dict[str, Any]]]]:
    """A warm-up of each side, then `rounds` runs of each in turn (a drift of the machine
    touches both); the medians per side, and every round."""
    from statistics import median

    for url in urls.values():
        run_wrk(url, max(1, seconds // 2), connections, script)
    runs = [
        {side: run_wrk(url, seconds, connections, script) for side, url in urls.items()}
        for _ in range(rounds)
    ]
    for side in urls:  # a side answering errors fast would fake its rate
        failed = sum(run[side]["non_2xx"] + run[side]["errors"] for run in runs)
        if failed:
            raise RuntimeError(f"{side}: {failed} failed or non-2xx responses")
    medians = {
        side: {key: round(median(run[side][key] for run in runs), 2) for key in runs[0][side]}
        for side in urls
    }
    return medians, runs
