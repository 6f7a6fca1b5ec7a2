"""`guichet demo` against a real `guichet up`: a believable park through the HTTP API,
and nothing changed when it runs again."""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest

from guichet_common.embedded import EmbeddedPostgres

from .running import Guichet, clean_env, cli_token, run_sql

pytestmark = pytest.mark.integration


@pytest.fixture
def data_dir(tmp_path: Path) -> Iterator[Path]:
    path = tmp_path / "var"
    yield path
    EmbeddedPostgres(path).stop()  # whatever happened, leave no server behind


def wait_for(condition: Callable[[], bool], seconds: float = 60) -> bool:
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.5)
    return True


def demo(data_dir: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "guichet", "demo", "--data-dir", str(data_dir)],
        capture_output=True,
        text=True,
        timeout=300,
        env=clean_env(),
    )


def test_the_demo_park_loads_once(data_dir: Path) -> None:
    guichet = Guichet(data_dir)
    try:
        first = demo(data_dir)
        assert first.returncode == 0, first.stderr
        assert "hosts: 336 created, 0 already there" in first.stdout
        assert "sites: 8 created" in first.stdout and "inventories: 40 created" in first.stdout
        assert "tickets: 300 created" in first.stdout and "technicians: 4 created" in first.stdout
        # Open and closed, across the categories and the sites.
        spread = run_sql(
            data_dir,
            "SELECT count(DISTINCT status) || '/' || count(DISTINCT category_code) || '/' "
            "|| count(DISTINCT site_code) || '/' || count(*) FILTER (WHERE status = 'closed')"
            " FROM ticketing.ticket",
        )
        statuses, categories, sites, closed = map(int, str(spread).split("/"))
        assert statuses == 5 and categories == 7 and sites == 8 and closed > 150, spread
        second = demo(data_dir)
        assert second.returncode == 0, second.stderr
        assert all(" 0 created" in line for line in second.stdout.splitlines()), second.stdout

        headers = {"Authorization": f"Bearer {cli_token(data_dir, 'technician', 'tech')}"}
        hosts = httpx.get(
            f"{guichet.base}/api/imaging/hosts",
            params={"site": "CHY-PC", "kind": "copier"},
            headers=headers,
            timeout=30,
        ).json()["items"]
        assert sorted(h["hostname"] for h in hosts) == ["KPC-ADMIN-01", "KPC-ULIS-01"]
        site = httpx.get(f"{guichet.base}/api/imaging/sites/CHY-PC", headers=headers, timeout=30)
        assert site.json()["zone"] == "B" and site.json()["name"] == "Collège Pierre de Coubertin"

        # Ticketing's read model of the park follows imaging's events; sent again twice
        # (`guichet imaging republish`), they change nothing there.
        read_model = "SELECT count(*) || '/' || sum(version) FROM ticketing.park_host"
        expected = run_sql(data_dir, "SELECT '336/' || sum(version) FROM imaging.host")
        assert wait_for(lambda: run_sql(data_dir, read_model) == expected), (
            run_sql(data_dir, read_model),
            expected,
        )
        consumed = (
            "SELECT count(*) FROM ticketing.processed_event "
            "WHERE consumer = 'ticketing.park' AND event_type LIKE 'imaging.%'"
        )
        before = run_sql(data_dir, consumed)
        sent = 0
        for _ in range(2):
            republished = subprocess.run(
                [
                    sys.executable,
                    "-m",
                    "guichet",
                    "imaging",
                    "republish",
                    "--data-dir",
                    str(data_dir),
                ],
                capture_output=True,
                text=True,
                timeout=120,
                env=clean_env(),
            )
            assert republished.returncode == 0, republished.stderr
            assert "event(s) of the park sent again" in republished.stdout
            sent += int(republished.stdout.split("imaging: ")[1].split(" ")[0])
        assert sent == 2 * (8 + 96 + 336)
        assert wait_for(lambda: run_sql(data_dir, consumed) == before + sent)  # type: ignore[operator]
        assert run_sql(data_dir, read_model) == expected
    finally:
        assert guichet.stop() == 0
