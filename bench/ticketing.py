"""Ticketing benchmark: the lists and the full-text search over 1,000,000 tickets, and ticket
creation (`POST /api/ticketing/tickets`) beside a bare FastAPI + asyncpg insert, in one run,
on the same PostgreSQL.

The tickets are bulk-loaded by one set-based statement (`ticketing_data.py`: 1,000,000, or
100,000 with `--quick`). Then `wrk` (one thread) drives the service in its own process
(uvicorn, one worker):
  (a) the first page of `GET /tickets?site_code=X&status_group=notold` as a technician
      covering every site, X cycling through the 58 sites: target p95 <= 50 ms;
  (b) the same list as a requester whose token's `sites` claim holds X (a school's local
      contact): target p95 <= 50 ms;
  (c) `GET /tickets?q=…`, realistic searches over every site, as a technician: target
      p95 <= 150 ms;
  (d) ticket creation, 16 connections, in alternating rounds beside the bare insert:
      target >= 450 per second; the ratio is printed;
  (e) `GET /tickets/{reference}/sla` of a ticket whose clocks have 50 periods (pending
      pauses over seven weeks across week-ends, the Toussaint holidays and 11 November),
      beside `GET /tickets/{reference}` of the same ticket; the ratio of the p95s;
  (f) the worker's SLA pass (`sla.handlers.check_clocks`, the worker's timer) over 1,000
      due clocks among the loaded ones (`ticketing_sla.py`), beside one bare set-based
      statement doing the same from the same due set, in alternating rounds.
The latencies (a)-(c) and (e) are taken over ONE connection (no queueing: each figure is the time of
one request); the generator's floor, `GET /healthz` through the same script, is printed
beside them. Then the plans of the queries as the endpoint sends them (captured from
SQLAlchemy in an in-process app), with EXPLAIN (ANALYZE, BUFFERS).

usage: python bench/ticketing.py [--quick] [--tickets N] [--seconds S] [--rounds R]
                                [--sla-rounds R]
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
from typing import Any
from urllib.parse import urlencode

import asyncpg
from pydantic import SecretStr

from guichet_common.identity import mint_token
from guichet_common.testing.bench import (
    ROOT,
    WRK_SUMMARY,
    alternate_rounds,
    bare_insert_app,
    drop_database,
    prepare_database,
    run_wrk,
    serving,
)

# Run as a script, this file's folder comes first on sys.path and `ticketing` would be this
# file, not the service package; its data module is reached as `bench.ticketing_data`.
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != Path(__file__).resolve().parent]
sys.path.append(str(ROOT))

DATABASE_URL = os.environ.get(
    "GUICHET_TEST_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/postgres"
)
JWT_SECRET = "ticketing-bench-secret-of-at-least-32-bytes"
TARGET_LIST_P95_MS = 50
TARGET_SEARCH_P95_MS = 150
TARGET_CREATE_RPS = 450
BASELINE_SQL = (
    "CREATE SCHEMA bench_baseline",
    "CREATE TABLE bench_baseline.ticket (id uuid PRIMARY KEY, body jsonb NOT NULL, "
    "created_at timestamptz NOT NULL DEFAULT now())",
)

# What people type in the search box.
SEARCHES = (
    "imprimante",
    "mot de passe pronote",
    "vidéoprojecteur",
    "wi-fi",
    "session bloquée",
    "écran noir",
    "tableau numérique",
    "clé usb",
    "toner",
    "compte ENT",
)

# --- the servers (run as `python bench/ticketing.py --serve …` in their own process) -------


def serve(kind: str, port: int, dsn: str) -> None:
    import uvicorn

    if kind == "baseline":
        app = bare_insert_app(
            dsn, "/api/baseline/tickets", "bench_baseline.ticket", {"status": "new"}, 201
        )
    else:
        from ticketing.main import create_app

        app = create_app(settings(dsn))
    uvicorn.run(app, host="127.0.0.1", port=port, log_level="warning", access_log=False)


def settings(dsn: str) -> Any:
    from ticketing.settings import TicketingSettings

    return TicketingSettings(database_url=dsn, jwt_secret=SecretStr(JWT_SECRET), log_json=False)


@contextmanager
def running(kind: str, dsn: str) -> Iterator[int]:
    with serving(Path(__file__), "--serve", kind, "--dsn", dsn) as port:
        yield port


# --- who asks, and what -----------------------------------------------------------------------

TECHNICIAN = mint_token(JWT_SECRET, subject="bench-tech", roles=["technician"], name="Bench")


def principal(site: str) -> str:
    """A school's local contact: a requester whose `sites` claim holds their collège."""
    login = f"contact-{site.lower()}"
    return mint_token(
        JWT_SECRET,
        subject=login,
        roles=["requester"],
        sites=[site],
        email=f"{login}@ac-orleans-tours.fr",
    )


TICKETS = "/api/ticketing/tickets"


def list_path(site: str) -> str:
    return f"{TICKETS}?{urlencode({'site_code': site, 'status_group': 'notold'})}"


def search_path(words: str) -> str:
    return f"{TICKETS}?{urlencode({'q': words})}"


# wrk: GET each (path, token) in turn.
GETS_SCRIPT = """
local requests = {%s}
local counter = 0
request = function()
  counter = counter + 1
  local r = requests[(counter %% #requests) + 1]
  return wrk.format("GET", r[1], {["Authorization"] = "Bearer " .. r[2]})
end
"""
# wrk: POST a ticket, the site cycling through the park.
CREATE_SCRIPT = """
local sites = {%(sites)s}
local template = [[%(body)s]]
local counter = 0
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = "Bearer %(token)s"
request = function()
  counter = counter + 1
  local body = template:gsub("__SITE__", sites[(counter %% #sites) + 1])
  return wrk.format(nil, nil, nil, body)
end
"""
CREATE_BODY = {
    "title": "L'imprimante du secrétariat ne répond plus",
    "description": "Signalé ce matin par la vie scolaire. Le voyant orange clignote.",
    "type": "incident",
    "category": "printing",
    "urgency": 3,
    "impact": 2,
    "site_code": "__SITE__",
    "room_code": "ADMIN",
    "channel": "phone",
    "requester": {
        "name": "Mme Claire Martin",
        "email": "claire.martin@ac-orleans-tours.fr",
        "phone": "02 38 00 00 00",
    },
}


def gets_script(folder: Path, name: str, requests: list[tuple[str, str]]) -> Path:
    script = folder / f"{name}.lua"
    rows = ",".join(f'{{"{path}","{token}"}}' for path, token in requests)
    script.write_text(GETS_SCRIPT % rows + WRK_SUMMARY)
    return script


def latency(url: str, seconds: int, script: Path) -> dict[str, Any]:
    """One connection: each figure is one request's time. A warm-up first."""
    run_wrk(url, max(1, seconds // 3), 1, script)
    measured = run_wrk(url, seconds, 1, script)
    if measured["errors"] or measured["non_2xx"]:
        raise RuntimeError(f"{script.name}: failed or non-2xx responses: {measured}")
    return measured


def sla_latency(
    base: str, seconds: int, folder: Path, reference: str
) -> tuple[dict[str, dict[str, Any]], int]:
    """(e): the ticket, then its SLA explanation (checked once: what it crosses, and how many
    segments it returns)."""
    import httpx

    from bench.ticketing_sla import check_explanation

    ticket, sla = f"{TICKETS}/{reference}", f"{TICKETS}/{reference}/sla"
    response = httpx.get(f"{base}{sla}", headers={"Authorization": f"Bearer {TECHNICIAN}"})
    response.raise_for_status()
    segments = check_explanation(response.json())
    figures = {
        "(e) GET ticket": latency(base, seconds, gets_script(folder, "e1", [(ticket, TECHNICIAN)])),
        "(e) GET ticket/sla, 50 periods": latency(
            base, seconds, gets_script(folder, "e2", [(sla, TECHNICIAN)])
        ),
    }
    return figures, segments


# --- the plans ---------------------------------------------------------------------------


Plan = tuple[float, str]  # execution milliseconds, the whole plan


async def explain(url: str, cases: list[tuple[str, str, str]]) -> dict[str, Plan]:
    """EXPLAIN (ANALYZE, BUFFERS) of the page query each (label, path, token) makes, as the
    endpoint sends it: captured from SQLAlchemy in an app running in this process."""
    import httpx
    from sqlalchemy import event
    from sqlalchemy.engine import Engine

    from guichet_common.db import libpq_dsn
    from ticketing.main import create_app

    captured: list[tuple[str, Any]] = []

    def capture(_c: Any, _cur: Any, statement: str, parameters: Any, *_: Any) -> None:
        if "FROM ticketing.ticket" in statement and "ORDER BY" in statement:
            captured.append((statement, parameters))

    event.listen(Engine, "before_cursor_execute", capture)
    plans: dict[str, Plan] = {}
    app = create_app(settings(url))
    conn = await asyncpg.connect(libpq_dsn(url))
    try:
        async with (
            app.router.lifespan_context(app),
            httpx.AsyncClient(
                transport=httpx.ASGITransport(app=app), base_url="http://bench"
            ) as client,
        ):
            for label, path, token in cases:
                captured.clear()
                response = await client.get(path, headers={"Authorization": f"Bearer {token}"})
                response.raise_for_status()
                statement, parameters = captured[-1]
                explained = f"EXPLAIN (ANALYZE, BUFFERS) {statement}"
                await conn.fetch(explained, *parameters)  # as warm as under wrk
                rows = await conn.fetch(explained, *parameters)
                plan = [row[0] for row in rows]
                milliseconds = float(plan[-1].removeprefix("Execution Time: ").split()[0])
                text = "\n".join([path, statement, f"parameters: {parameters}", *plan])
                plans[label] = (milliseconds, text)
    finally:
        event.remove(Engine, "before_cursor_execute", capture)
        await conn.close()
    return plans


# --- the driver ----------------------------------------------------------------------------


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="100,000 tickets, short rounds")
    parser.add_argument("--tickets", type=int, default=1_000_000)
    parser.add_argument("--seconds", type=int, default=15, help="per latency measure")
    parser.add_argument("--rounds", type=int, default=4, help="creation rounds per side")
    parser.add_argument("--connections", type=int, default=16, help="for creation")
    parser.add_argument("--sla-rounds", type=int, default=3, help="SLA passes per side")
    parser.add_argument("--serve", choices=["baseline", "ticketing"])
    parser.add_argument("--port", type=int)
    parser.add_argument("--dsn")
    args = parser.parse_args()
    if args.serve:
        serve(args.serve, args.port, args.dsn)
        return
    if shutil.which("wrk") is None:
        raise SystemExit("install wrk (Debian package `wrk`)")
    if args.quick:
        args.tickets = min(args.tickets, 100_000)
        args.seconds = 5
    create_seconds = max(1, (args.seconds * 2) // args.rounds)
    from bench.ticketing_data import SITES, load, site_code
    from bench.ticketing_sla import add_sla_ticket, measure_pass
    from guichet_common.db import libpq_dsn

    sites = [site_code(n) for n in range(1, SITES + 1)]
    url = asyncio.run(prepare_database(DATABASE_URL, "ticketing", BASELINE_SQL))
    try:
        loaded = asyncio.run(load(url, args.tickets))
        print(f"loaded: {loaded}", flush=True)
        sla_ticket = asyncio.run(add_sla_ticket(url))
        plans = asyncio.run(
            explain(
                url,
                [
                    ("list, technician", list_path(sites[0]), TECHNICIAN),
                    ("list, requester with sites", list_path(sites[0]), principal(sites[0])),
                    *((f"search {q!r}", search_path(q), TECHNICIAN) for q in SEARCHES),
                ],
            )
        )
        with (
            tempfile.TemporaryDirectory() as tmp,
            running("baseline", libpq_dsn(url)) as baseline_port,
            running("ticketing", url) as ticketing_port,
        ):
            folder = Path(tmp)
            base = f"http://127.0.0.1:{ticketing_port}"
            figures = {
                "floor: GET /healthz": latency(
                    base, args.seconds, gets_script(folder, "floor", [("/healthz", "-")])
                ),
                "(a) list, technician": latency(
                    base,
                    args.seconds,
                    gets_script(folder, "a", [(list_path(s), TECHNICIAN) for s in sites]),
                ),
                "(b) list, requester with sites": latency(
                    base,
                    args.seconds,
                    gets_script(folder, "b", [(list_path(s), principal(s)) for s in sites]),
                ),
                "(c) full-text search": latency(
                    base,
                    args.seconds,
                    gets_script(folder, "c", [(search_path(q), TECHNICIAN) for q in SEARCHES]),
                ),
            }
            script = folder / "create.lua"
            script.write_text(
                CREATE_SCRIPT
                % {
                    "sites": ",".join(f'"{s}"' for s in sites),
                    "body": json.dumps(CREATE_BODY, ensure_ascii=False),
                    "token": TECHNICIAN,
                }
                + WRK_SUMMARY
            )
            urls = {
                "baseline": f"http://127.0.0.1:{baseline_port}/api/baseline/tickets",
                "ticketing": f"{base}{TICKETS}",
            }
            medians, runs = alternate_rounds(
                urls, create_seconds, args.rounds, args.connections, script
            )
            sla_figures, segments = sla_latency(base, args.seconds, folder, sla_ticket)
        # In this process, as the worker's own, once the servers have stopped.
        sla_pass = asyncio.run(measure_pass(url, settings(url), args.sla_rounds))
    finally:
        asyncio.run(drop_database(DATABASE_URL, url))
    sla = {"reference": sla_ticket, "segments": segments, "figures": sla_figures, "pass": sla_pass}
    report(args, loaded, figures, medians, runs, plans, sla)


def report(
    args: argparse.Namespace,
    loaded: dict[str, Any],
    figures: dict[str, dict[str, Any]],
    medians: dict[str, dict[str, float]],
    runs: list[dict[str, dict[str, Any]]],
    plans: dict[str, Plan],
    sla: dict[str, Any],
) -> None:
    from bench.ticketing_sla import pass_lines, pass_summary

    searches = {label: plan for label, plan in plans.items() if label.startswith("search")}
    slowest = max(searches, key=lambda label: searches[label][0])
    for label, (_, plan) in plans.items():
        if label not in searches or label == slowest or label == next(iter(searches)):
            print(f"\n--- EXPLAIN (ANALYZE, BUFFERS): {label} ---\n{plan}")
    print("\nexecution time of each search's query (EXPLAIN ANALYZE, warm):")
    for label, (milliseconds, _) in searches.items():
        print(f"  {label:<36}{milliseconds:>9.1f} ms")
    baseline, created = medians["baseline"], medians["ticketing"]
    ratio = round(created["requests_per_second"] / baseline["requests_per_second"], 3)
    limits = {
        "(a) list, technician": TARGET_LIST_P95_MS,
        "(b) list, requester with sites": TARGET_LIST_P95_MS,
        "(c) full-text search": TARGET_SEARCH_P95_MS,
    }
    verdicts = {label: figures[label]["p95_ms"] <= limit for label, limit in limits.items()}
    verdicts["(d) creation"] = created["requests_per_second"] >= TARGET_CREATE_RPS
    rows = [(f"{label} (1 conn.)", figure) for label, figure in figures.items()]
    rows += [
        (f"(d) creation, bare insert ({args.connections} conn.)", baseline),
        (f"(d) creation ({args.connections} conn.)", created),
    ]
    ticket, explained = sla["figures"].values()
    sla_ratio = round(explained["p95_ms"] / ticket["p95_ms"], 2)
    rows += [(f"{label} (1 conn.)", figure) for label, figure in sla["figures"].items()]
    print(f"\n{loaded['tickets']:,} tickets ({loaded['open_percent']} % open), {loaded['size']}")
    print(f"{'measure':<44}{'req/s':>9}{'p50 ms':>9}{'p95 ms':>9}{'p99 ms':>9}  target")
    for label, figure in rows:
        target = ""
        for name, limit in limits.items():
            if label.startswith(name):
                target = f"p95 <= {limit} ms: {'met' if verdicts[name] else 'NOT met'}"
        if label.startswith("(d) creation ("):
            met = "met" if verdicts["(d) creation"] else "NOT met"
            target = f">= {TARGET_CREATE_RPS}/s: {met}; ratio to the bare insert {ratio}"
        if label.startswith("(e) GET ticket/sla"):
            target = f"{sla['segments']} segments; p95 ratio to GET ticket {sla_ratio}"
        print(
            f"{label:<44}{figure['requests_per_second']:>9}{figure['p50_ms']:>9}"
            f"{figure['p95_ms']:>9}{figure['p99_ms']:>9}  {target}"
        )
    per_round = [
        round(run["ticketing"]["requests_per_second"] / run["baseline"]["requests_per_second"], 3)
        for run in runs
    ]
    print(f"creation ratio per round: {per_round}")
    print("\n".join(pass_lines(sla["pass"])))
    summary = {
        "benchmark": "ticketing.lists_search_creation",
        **loaded,
        **{
            f"{label} p95_ms": figure["p95_ms"]
            for label, figure in (figures | sla["figures"]).items()
        },
        "sla_segments": sla["segments"],
        "sla_get_p95_ratio": sla_ratio,
        **pass_summary(sla["pass"]),
        "baseline_rps": baseline["requests_per_second"],
        "creation_rps": created["requests_per_second"],
        "creation_p99_ms": created["p99_ms"],
        "round_ratios": per_round,
        "ratio": ratio,
        "targets_met": verdicts,
    }
    print(json.dumps(summary, ensure_ascii=False))


if __name__ == "__main__":
    main()
