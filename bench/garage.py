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
import shutil
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from guichet_common.testing.bench import (
    WRK_SUMMARY,
    alternate_rounds,
    bare_insert_app,
    drop_database,
    prepare_database,
    serving,
)

# Run as a script, this file's folder comes first on sys.path and `garage` would be this file,
# not the service package.
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != Path(__file__).resolve().parent]

DATABASE_URL = os.environ.get(
    "GUICHET_TEST_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/postgres"
)
TARGET_RPS = 450
TARGET_P99_MS = 50


# wrk script: POST the body (the percentiles are printed by the harness's summary).
WRK_SCRIPT = """
wrk.method = "POST"
wrk.body = [[%s]]
wrk.headers["Content-Type"] = "application/json"
"""


# --- the servers (run as `python bench/garage.py --serve …` in their own process) ---------


def serve(kind: str, port: int, dsn: str) -> None:
    import uvicorn

    if kind == "baseline":
        app = bare_insert_app(
            dsn, "/api/baseline/requests", "bench_baseline.request", {"status": "submitted"}, 201
        )
    else:
        from garage.main import create_app
        from garage.settings import GarageSettings

        app = create_app(
            GarageSettings(database_url=dsn, rate_limit="1000000/second", log_json=False)
        )
    uvicorn.run(app, host="127.0.0.1", port=port, log_level="warning", access_log=False)


# --- the driver --------------------------------------------------------------------------


BASELINE_SQL = (
    "CREATE SCHEMA bench_baseline",
    "CREATE TABLE bench_baseline.request (id uuid PRIMARY KEY, body jsonb NOT NULL, "
    "created_at timestamptz NOT NULL DEFAULT now())",
)


@contextmanager
def running(kind: str, dsn: str) -> Iterator[int]:
    """A server process of `kind`; yields its port."""
    with serving(Path(__file__), "--serve", kind, "--dsn", dsn) as port:
        yield port


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

    url = asyncio.run(prepare_database(DATABASE_URL, "garage", BASELINE_SQL))
    try:
        with (
            tempfile.TemporaryDirectory() as tmp,
            running("baseline", libpq_dsn(url)) as baseline_port,
            running("garage", url) as garage_port,
        ):
            script = Path(tmp) / "post.lua"
            script.write_text(WRK_SCRIPT % json.dumps(SUBMISSION_EXAMPLE) + WRK_SUMMARY)
            urls = {
                "baseline": f"http://127.0.0.1:{baseline_port}/api/baseline/requests",
                "garage": f"http://127.0.0.1:{garage_port}/api/garage/requests",
            }
            medians, runs = alternate_rounds(urls, seconds, args.rounds, args.connections, script)
    finally:
        asyncio.run(drop_database(DATABASE_URL, url))
    baseline, garage = medians["baseline"], medians["garage"]
    ratio = round(garage["requests_per_second"] / baseline["requests_per_second"], 3)
    per_round = [
        round(g["requests_per_second"] / b["requests_per_second"], 3)
        for b, g in ((run["baseline"], run["garage"]) for run in runs)
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
                "garage_non_2xx": sum(run["garage"]["non_2xx"] for run in runs),
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
