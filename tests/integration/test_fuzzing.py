"""Schemathesis (its CLI, every phase: the schema's examples, boundary coverage, fuzzing,
stateful sequences) over every service's OpenAPI document, served by `guichet up`, as an
admin and as nobody: no answer is a server error. Seeded, with a fixed number of examples
per operation and no example database, so a run repeats exactly; a failure prints the
curl command that reproduces it."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from guichet.services import SERVICES
from guichet_common.testing.plugin import scratch_database

from .running import Guichet, cli_token

pytestmark = pytest.mark.integration

# A seed whose run met the one server error fuzzing found before it was fixed (the calendar
# feed's odd tokens); 2 of the seeds 1 to 8 did.
SEED = 2
EXAMPLES = 15  # per operation, in the fuzzing phase


@pytest.fixture(scope="module")
async def guichet(
    postgres_admin_url: str, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[Guichet]:
    """`guichet up` on a database of its own; public rate limits out of the way."""
    async with scratch_database(postgres_admin_url, "fuzz") as database_url:
        running = Guichet(
            tmp_path_factory.mktemp("fuzz") / "var",
            {
                "GUICHET_DATABASE_URL": database_url,
                "GARAGE_RATE_LIMIT": "100000/minute",
                "GARAGE_DECISION_RATE_LIMIT": "100000/minute",
                "GUICHET_LOG_LEVEL": "WARNING",
            },
        )
        try:
            yield running
        finally:
            running.stop()


@pytest.mark.parametrize("caller", ["admin", "nobody"])
@pytest.mark.parametrize("service", [entry.name for entry in SERVICES])
def test_no_generated_request_is_a_server_error(
    guichet: Guichet, service: str, caller: str, tmp_path: Path
) -> None:
    headers = []
    if caller == "admin":
        token = cli_token(guichet.data_dir, "admin", "fuzzer")
        headers = ["--header", f"Authorization: Bearer {token}"]
    run = subprocess.run(
        [
            str(Path(sys.executable).with_name("st")),
            "run",
            f"{guichet.base}/api/{service}/openapi.json",
            "--checks=not_a_server_error",
            f"--seed={SEED}",
            f"--max-examples={EXAMPLES}",
            "--generation-database=none",
            "--output-sanitize=false",
            "--no-color",
            *headers,
        ],
        cwd=tmp_path,  # what the CLI writes stays there
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert run.returncode == 0, run.stdout[-6000:] + run.stderr[-2000:]
