"""Imaging park benchmark: inventory reports end to end (`POST /api/imaging/hosts/inventory`:
match, diff, history, event) per second, beside a bare FastAPI + asyncpg endpoint inserting
the same JSON, in the same run, on the same PostgreSQL; and the CSV import of the whole park
(58 sites of 200 hosts: 11,600) in seconds.

Each report is a real GLPI agent document for one of the 11,600 hosts, its memory changed
from the host's previous report, so every one is matched (by serial), diffed, stored in the
history and published. Both servers run in their own process (uvicorn, one worker), driven
by `wrk` (one thread) with the same connections, in alternating rounds; the figures are the
medians of the rounds. The baseline's rate shows the generator is not the limit.

usage: python bench/imaging_park.py [--quick] [--seconds S] [--rounds R] [--connections C]
env: GUICHET_TEST_DATABASE_URL (default: local PostgreSQL)
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import shutil
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
from pydantic import SecretStr

from guichet_common.identity import mint_token
from guichet_common.testing.bench import (
    WRK_SUMMARY,
    alternate_rounds,
    bare_insert_app,
    drop_database,
    prepare_database,
    serving,
)

DATABASE_URL = os.environ.get(
    "GUICHET_TEST_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/postgres"
)
SITES, HOSTS_PER_SITE = 58, 200
JWT_SECRET = "imaging-bench-secret-of-at-least-32-bytes"
BASELINE_SQL = (
    "CREATE SCHEMA bench_baseline",
    "CREATE TABLE bench_baseline.inventory (id uuid PRIMARY KEY, body jsonb NOT NULL, "
    "received_at timestamptz NOT NULL DEFAULT now())",
)

# A GLPI agent's report; the wrk script fills in the host and a memory size per request.
INVENTORY = {
    "deviceid": "__NAME__-2026-11-29-08-00-00",
    "itemtype": "Computer",
    "action": "inventory",
    "content": {
        "versionclient": "GLPI-Agent_v1.11",
        "hardware": {"name": "__NAME__", "memory": 4096, "workgroup": "ACADEMIE"},
        "bios": {
            "smanufacturer": "Dell Inc.",
            "smodel": "OptiPlex 7090",
            "ssn": "__SERIAL__",
            "bversion": "1.19.0",
        },
        "cpus": [{"name": "Intel(R) Core(TM) i5-10505", "arch": "x86_64", "core": 6}],
        "memories": [{"capacity": 4096, "type": "DDR4", "speed": "2666"}],
        "storages": [{"name": "nvme0n1", "model": "PC SN530 512GB", "disksize": 512110}],
        "networks": [{"description": "Ethernet", "mac": "__MAC__", "type": "ethernet"}],
        "operatingsystem": {"name": "Windows", "full_name": "Microsoft Windows 11 Éducation"},
        "softwares": [
            {"name": "Mozilla Firefox (x64 fr)", "version": "128.5.0"},
            {"name": "LibreOffice 24.8", "version": "24.8.3"},
            {"name": "VLC media player", "version": "3.0.21"},
            {"name": "7-Zip 24.08 (x64)", "version": "24.08"},
        ],
    },
}

WRK_SCRIPT = """
local hosts = {%(hosts)s}
local template = [[%(template)s]]
local counter = 0
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = "Bearer %(key)s"
wrk.headers["GLPI-Agent-ID"] = "3f2504e0-4f89-41d3-9a0c-0305e82c3301"
request = function()
  counter = counter + 1
  local host = hosts[(counter %% #hosts) + 1]
  local memory = tostring(4096 + (counter %% 7) * 1024)
  local body = template:gsub("__SERIAL__", host[1]):gsub("__MAC__", host[2])
  body = body:gsub("__NAME__", host[3]):gsub('"memory": 4096', '"memory": ' .. memory)
  return wrk.format(nil, nil, nil, body)
end
"""


# --- the servers (run as `python bench/imaging_park.py --serve …` in their own process) ---


def serve(kind: str, port: int, dsn: str) -> None:
    import uvicorn

    if kind == "baseline":
        app = bare_insert_app(
            dsn,
            "/api/baseline/inventory",
            "bench_baseline.inventory",
            {"status": "ok", "expiration": 24},
            200,
        )
    else:
        from imaging.main import create_app
        from imaging.settings import ImagingSettings

        app = create_app(
            ImagingSettings(database_url=dsn, jwt_secret=SecretStr(JWT_SECRET), log_json=False)
        )
    uvicorn.run(app, host="127.0.0.1", port=port, log_level="warning", access_log=False)


@contextmanager
def running(kind: str, dsn: str) -> Iterator[int]:
    with serving(Path(__file__), "--serve", kind, "--dsn", dsn) as port:
        yield port


# --- the park ------------------------------------------------------------------------------


def park_csv() -> tuple[bytes, bytes, bytes, list[tuple[str, str]]]:
    """Sites, rooms and hosts as a technician's spreadsheets; each host's serial and MAC."""
    sites = ["code;nom;zone;departement;prefixe"]
    rooms = ["site;code;nom;type"]
    hosts = ["site;salle;gpi;numero_serie;macs;modele;type;reseau;date_achat"]
    identities = []
    for s in range(SITES):
        code = f"BENCH-{s:02d}"
        sites.append(f"{code};Collège {s:02d};B;45;CLG{s:02d}")
        rooms += [f"{code};ADMIN;Administration;office", f"{code};S101;Salle 101;classroom"]
        for h in range(HOSTS_PER_SITE):
            serial = f"SN{s:02d}{h:05d}"
            mac = f"02:00:00:{s:02X}:{h // 256:02X}:{h % 256:02X}"
            room, network = ("ADMIN", "admin") if h < 20 else ("S101", "pedagogy")
            hosts.append(
                f"{code};{room};G{s:02d}{h:05d};{serial};{mac};OptiPlex 7090;desktop;"
                f"{network};20{17 + h % 9}-09-01"
            )
            identities.append((serial, mac))
    return (
        "\n".join(sites).encode(),
        "\n".join(rooms).encode(),
        "\n".join(hosts).encode(),
        identities,
    )


def load_park(base: str) -> tuple[dict[str, float], str, list[tuple[str, str, str]]]:
    """The park imported through the API (timed), an agent key, each host's identity."""
    admin = mint_token(JWT_SECRET, subject="bench", roles=["admin"])
    sites, rooms, hosts, identities = park_csv()
    timings: dict[str, float] = {}
    with httpx.Client(
        base_url=f"{base}/api/imaging", headers={"Authorization": f"Bearer {admin}"}, timeout=600
    ) as client:
        for kind, body in (("sites", sites), ("rooms", rooms), ("hosts", hosts)):
            started = time.perf_counter()
            response = client.post(
                f"/import/{kind}", content=body, headers={"Content-Type": "text/csv"}
            )
            timings[f"import_{kind}_seconds"] = round(time.perf_counter() - started, 2)
            if response.status_code != 200 or response.json()["rejected"]:
                refused = f"{response.status_code} {response.text[:500]}"
                raise RuntimeError(f"import of {kind}: {refused}")
        key = client.post(
            "/api-keys", json={"name": "bench agent", "scopes": ["imaging:agent"]}
        ).json()["api_key"]
        exported = client.get("/export/hosts.csv").content.decode("utf-8-sig").splitlines()[1:]
    names = {line.split(";")[4]: line.split(";")[3] for line in exported}  # serial -> name
    return timings, key, [(serial, mac.lower(), names[serial]) for serial, mac in identities]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="short run (about a minute)")
    parser.add_argument("--seconds", type=int, default=20, help="per side, over all rounds")
    parser.add_argument("--rounds", type=int, default=4)
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--serve", choices=["baseline", "imaging"])
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
    from guichet_common.db import libpq_dsn

    url = asyncio.run(prepare_database(DATABASE_URL, "imaging", BASELINE_SQL))
    try:
        with (
            tempfile.TemporaryDirectory() as tmp,
            running("baseline", libpq_dsn(url)) as baseline_port,
            running("imaging", url) as imaging_port,
        ):
            timings, key, hosts = load_park(f"http://127.0.0.1:{imaging_port}")
            print(f"park: {SITES} sites, {len(hosts)} hosts imported from CSV: {timings}")
            script = Path(tmp) / "inventory.lua"
            script.write_text(
                WRK_SCRIPT
                % {
                    "hosts": ",".join(f'{{"{s}","{m}","{n}"}}' for s, m, n in hosts),
                    "template": json.dumps(INVENTORY, ensure_ascii=False),
                    "key": key,
                }
                + WRK_SUMMARY
            )
            urls = {
                "baseline": f"http://127.0.0.1:{baseline_port}/api/baseline/inventory",
                "imaging": f"http://127.0.0.1:{imaging_port}/api/imaging/hosts/inventory",
            }
            medians, runs = alternate_rounds(urls, seconds, args.rounds, args.connections, script)
    finally:
        asyncio.run(drop_database(DATABASE_URL, url))
    baseline, imaging = medians["baseline"], medians["imaging"]
    ratio = round(imaging["requests_per_second"] / baseline["requests_per_second"], 3)
    print(f"baseline (FastAPI + asyncpg insert of the JSON), medians: {baseline}")
    print(f"imaging (POST /api/imaging/hosts/inventory), medians:    {imaging}")
    print(f"ratio of the medians imaging/baseline: {ratio}")
    print(
        json.dumps(
            {
                "benchmark": "imaging.inventory_reports",
                "hosts": len(hosts),
                **timings,
                "seconds": seconds * args.rounds,
                "connections": args.connections,
                "baseline_rps": baseline["requests_per_second"],
                "imaging_rps": imaging["requests_per_second"],
                "imaging_p99_ms": imaging["p99_ms"],
                "imaging_non_2xx": sum(run["imaging"]["non_2xx"] for run in runs),
                "ratio": ratio,
            }
        )
    )


if __name__ == "__main__":
    main()
