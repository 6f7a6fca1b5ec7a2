"""A failing test run stays readable: short tracebacks, and logged exceptions without the
values of local variables (which once made a red run print 168,000 lines, and can hold
secrets)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]

FAILING = """
from guichet_common.logging import get_logger

log = get_logger("probe")


def deep(n: int, secret: str) -> None:
    payload = {"secret": secret, "bulk": ["x" * 80] * 500}
    if n:
        deep(n - 1, secret)
    else:
        raise RuntimeError("boom")


def test_fails_after_logging() -> None:
    try:
        deep(30, "do-not-" + "print-me")  # the value appears only if locals are shown
    except RuntimeError:
        log.exception("unhandled error")
    assert 1 == 2
"""


def test_a_failed_run_prints_a_short_report_without_locals(tmp_path: Path) -> None:
    (tmp_path / "test_probe.py").write_text(FAILING)
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-c", str(ROOT / "pyproject.toml"), str(tmp_path)],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env={k: v for k, v in os.environ.items() if k != "CI"},
        timeout=120,
    )
    output = result.stdout + result.stderr
    assert result.returncode == 1, output
    assert "RuntimeError: boom" in output, "the logged exception is still shown"
    assert "do-not-print-me" not in output, "no local variable values"
    assert len(output.splitlines()) < 300, f"{len(output.splitlines())} lines"
