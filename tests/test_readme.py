"""The README's commands work exactly as written: every one is run, in order, against the
`./scripts/guichet up` the README starts (its data directory in a temporary place)."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

pytestmark = pytest.mark.integration

ROOT = Path(__file__).resolve().parents[1]
UP = "./scripts/guichet up"
TEST = "./scripts/test"


def readme_commands() -> list[str]:
    """The lines of the README's `sh` blocks, without their trailing comments."""
    text = (ROOT / "README.md").read_text()
    commands = []
    for block in re.findall(r"```sh\n(.*?)```", text, re.S):
        for line in block.splitlines():
            command = re.split(r"\s+#", line)[0].strip()
            if command:
                commands.append(command)
    return commands


def test_the_readme_opens_with_the_two_commands_and_shows_only_checkout_scripts() -> None:
    commands = readme_commands()
    assert commands[:2] == [UP, TEST]
    assert all(c.startswith("./scripts/") for c in commands), "`guichet` is not on PATH"


def test_the_readme_test_command_is_the_one_ci_runs() -> None:
    """Running the suite from inside itself would recurse: CI runs it, as written."""
    ci = (ROOT / ".ci" / "run").read_text().strip().splitlines()
    assert ci[-1] == "exec scripts/test"


def _environment(data_dir: Path) -> dict[str, str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("GUICHET_", "TICKETING_", "GARAGE_", "IMAGING_", "NOTIFIER_"))
    }
    env["GUICHET_DATA_DIR"] = str(data_dir)
    return env


@pytest.fixture
def guichet_up(tmp_path: Path) -> Iterator[dict[str, str]]:
    """`./scripts/guichet up` as the README runs it; its environment for the next ones."""
    env = _environment(tmp_path / "var")
    log = tmp_path / "up.log"
    process = subprocess.Popen(
        ["bash", "-c", UP],
        cwd=ROOT,
        env=env,
        stdout=log.open("w"),
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        deadline = time.monotonic() + 240
        while True:
            assert process.poll() is None, f"{UP} exited: {log.read_text()[-3000:]}"
            try:
                if httpx.get("http://127.0.0.1:8000/readyz", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            assert time.monotonic() < deadline, f"{UP} not ready: {log.read_text()[-3000:]}"
            time.sleep(0.5)
        yield env
    finally:
        os.killpg(process.pid, signal.SIGINT)
        try:
            process.wait(timeout=90)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            raise


def test_every_readme_command_runs_as_written(guichet_up: dict[str, str]) -> None:
    for command in readme_commands():
        if command in {UP, TEST}:
            continue  # running in the fixture; run by CI
        result = subprocess.run(
            ["bash", "-c", command],
            cwd=ROOT,
            env=guichet_up,
            capture_output=True,
            text=True,
            timeout=300,
        )
        assert result.returncode == 0, f"{command}\n{result.stdout}\n{result.stderr}"
        assert result.stdout.strip(), f"{command} printed nothing"
