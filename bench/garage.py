"""Garage benchmark: public submissions through `POST /api/garage/requests`, beside a bare
FastAPI + asyncpg endpoint inserting one row, in the same run, on the same PostgreSQL.

A regression check of the plain path: each submission is one ordinary session transaction
doing all it does in production (validation and normalisation, a gap-free number, the
request, its history line, the catalogue draft quote and the outbox event). Target: at
least 450 requests/s (ten times osTicket's API create rate measured on this kind of
machine) with p99 <= 50 ms at 16 connections; the ratio to the bare endpoint is reported.

Each server runs in its own process (uvicorn, one worker), driven by `wrk` (Debian package)
with the same connections, in alternating rounds of the same duration; the figures are the
medians of the rounds, so a drift of the machine during the run touches both sides.

usage: python bench/garage.py [--quick] [--seconds S] [--rounds R] [--connections C]
env: GUICHET_TEST_DATABASE_URL (default: local PostgreSQL)
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from pathlib import Path
from statistics import median
from typing import Any

import asyncpg
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

# Run as a script, this file's folder comes first on sys.path and `garage` would be this file,
# not the service package.
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != Path(__file__).resolve().parent]

DATABASE_URL = os.environ.get(
    "GUICHET_TEST_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/postgres"
)
ROOT = Path(__file__).resolve().parents[1]
TARGET_RPS = 450
TARGET_P99_MS = 50


# wrk script: POST the body, print latency percentiles (microseconds) as JSON at the end.
WRK_SCRIPT = """
wrk.method = "POST"
wrk.body = [[%s]]
wrk.headers["Content-Type"] = "application/json"
done = function(summary, latency, requests)
  io.write(string.format(
    'WRKJSON {"requests": %%d, "errors": %%d, "non2xx": %%d, "seconds": %%f, '
    .. '"p50": %%d, "p95": %%d, "p99": %%d}\\n',
    summary.requests, summary.errors.connect + summary.errors.read + summary.errors.write
      + summary.errors.timeout, summary.errors.status, summary.duration / 1e6,
    latency:percentile(50), latency:percentile(95), latency:percentile(99)))
end
"""


# --- the servers (run as `python bench/garage.py --serve …` in their own process) ---------


def baseline_app(dsn: str) -> FastAPI:
    state: dict[str, Any] = {}

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        state["pool"] = await asyncpg.create_pool(dsn, min_size=10, max_size=10)
        yield
        await state["pool"].close()

    app = FastAPI(lifespan=lifespan)

    @app.post("/api/baseline/requests")
    async def create(request: Request) -> JSONResponse:
        body = await request.json()
        async with state["pool"].acquire() as conn:
            row_id = await conn.fetchval(
                "INSERT INTO bench_baseline.request (id, body) VALUES ($1, $2) RETURNING id",
                uuid.uuid4(),
                json.dumps(body),
            )
        return JSONResponse({"id": str(row_id), "status": "submitted"}, status_code=201)

    return app


def serve(kind: str, port: int, dsn: str) -> None:
    import uvicorn

    if kind == "baseline":
        app = baseline_app(dsn)
    else:
        from garage.main import create_app
        from garage.settings import GarageSettings

        app = create_app(
            GarageSettings(database_url=dsn, rate_limit="1000000/second", log_json=False)
        )
    uvicorn.run(app, host="127.0.0.1", port=port, log_level="warning", access_log=False)


# --- the driver --------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def wait_port(port: int, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.1)
    raise RuntimeError(f"server on port {port} did not start")


async def prepare_database() -> str:
    """A throwaway database with the garage migrations and the baseline table."""
    from alembic import command
    from alembic.config import Config
    from sqlalchemy.engine import make_url
    from sqlalchemy.ext.asyncio import create_async_engine

    from guichet_common.settings import asyncpg_url

    admin_url = asyncpg_url(DATABASE_URL)
    name = f"guichet_bench_garage_{uuid.uuid4().hex[:8]}"
    admin = create_async_engine(admin_url, isolation_level="AUTOCOMMIT")
    async with admin.connect() as conn:
        await conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
    await admin.dispose()
    url = make_url(admin_url).set(database=name).render_as_string(hide_password=False)
    root = ROOT / "services" / "garage"
    config = Config(str(root / "alembic.ini"))
    config.set_main_option("script_location", str(root / "migrations"))
    config.attributes["database_url"] = url
    try:
        await asyncio.to_thread(command.upgrade, config, "head")
        engine = create_async_engine(url)
        async with engine.begin() as conn:
            await conn.exec_driver_sql("CREATE SCHEMA bench_baseline")
            await conn.exec_driver_sql(
                "CREATE TABLE bench_baseline.request (id uuid PRIMARY KEY, body jsonb NOT NULL, "
                "created_at timestamptz NOT NULL DEFAULT now())"
            )
        await engine.dispose()
    except BaseException:
        await drop_database(url)
        raise
    return url


async def drop_database(url: str) -> None:
    from sqlalchemy.engine import make_url
    from sqlalchemy.ext.asyncio import create_async_engine

    from guichet_common.settings import asyncpg_url

    name = make_url(url).database
    admin = create_async_engine(asyncpg_url(DATABASE_URL), isolation_level="AUTOCOMMIT")
    async with admin.connect() as conn:
        await conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    await admin.dispose()


def run_wrk(url: str, seconds: int, connections: int, script: Path) -> dict[str, Any]:
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
def running(kind: str, dsn: str) -> Iterator[int]:
    """A server process of `kind`; yields its port."""
    port = free_port()
    server = subprocess.Popen(
        [sys.executable, __file__, "--serve", kind, "--port", str(port), "--dsn", dsn],
        cwd=ROOT,
    )
    try:
        wait_port(port)
        yield port
    finally:
        server.terminate()
        server.wait(10)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="short run (< 60 s)")
    parser.add_argument("--seconds", type=int, default=20, help="per side, over all rounds")
    parser.add_argument("--rounds", type=int, default=4)
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--serve", choices=["baseline", "garage"])
    parser.add_argument("--port", type=int)
    parser.add_argument("--dsn")
    args = parser.parse_args()
    if args.serve:
        serve(args.serve, args.port, args.dsn)
        return
    if shutil.which("wrk") is None:
        raise SystemExit("install wrk (Debian package `wrk`)")
    if args.quick:
        args.seconds = 8
    seconds = max(1, args.seconds // args.rounds)
    from garage.requests.schemas import SUBMISSION_EXAMPLE
    from guichet_common.db import libpq_dsn

    url = asyncio.run(prepare_database())
    rounds: dict[str, list[dict[str, Any]]] = {"baseline": [], "garage": []}
    try:
        with (
            tempfile.TemporaryDirectory() as tmp,
            running("baseline", libpq_dsn(url)) as baseline_port,
            running("garage", url) as garage_port,
        ):
            script = Path(tmp) / "post.lua"
            script.write_text(WRK_SCRIPT % json.dumps(SUBMISSION_EXAMPLE))
            urls = {
                "baseline": f"http://127.0.0.1:{baseline_port}/api/baseline/requests",
                "garage": f"http://127.0.0.1:{garage_port}/api/garage/requests",
            }
            for side_url in urls.values():  # warm-up
                run_wrk(side_url, max(1, seconds // 2), args.connections, script)
            # Alternating rounds: a drift of the machine during the run touches both sides.
            for _ in range(args.rounds):
                for side, side_url in urls.items():
                    rounds[side].append(run_wrk(side_url, seconds, args.connections, script))
    finally:
        asyncio.run(drop_database(url))
    baseline, garage = (
        {key: round(median(r[key] for r in rounds[side]), 2) for key in rounds[side][0]}
        for side in ("baseline", "garage")
    )
    ratio = round(garage["requests_per_second"] / baseline["requests_per_second"], 3)
    per_round = [
        round(g["requests_per_second"] / b["requests_per_second"], 3)
        for b, g in zip(rounds["baseline"], rounds["garage"], strict=True)
    ]
    print(f"baseline (FastAPI + asyncpg insert), medians: {baseline}")
    print(f"garage (POST /api/garage/requests), medians:  {garage}")
    meets = garage["requests_per_second"] >= TARGET_RPS and garage["p99_ms"] <= TARGET_P99_MS
    print(f"ratio of the medians garage/baseline: {ratio}; rounds: {per_round}")
    print(
        f"target >= {TARGET_RPS} requests/s and p99 <= {TARGET_P99_MS} ms: "
        f"{'met' if meets else 'NOT met'}"
    )
    print(
        json.dumps(
            {
                "benchmark": "garage.public_submissions",
                "seconds": seconds * args.rounds,
                "rounds": args.rounds,
                "connections": args.connections,
                "baseline_rps": baseline["requests_per_second"],
                "garage_rps": garage["requests_per_second"],
                "baseline_p95_ms": baseline["p95_ms"],
                "garage_p95_ms": garage["p95_ms"],
                "garage_p99_ms": garage["p99_ms"],
                "garage_non_2xx": sum(r["non_2xx"] for r in rounds["garage"]),
                "round_ratios": per_round,
                "ratio": ratio,
                "target_rps": TARGET_RPS,
                "target_p99_ms": TARGET_P99_MS,
                "meets_target": meets,
            }
        )
    )


if __name__ == "__main__":
    main()
