"""`scripts/bootstrap`, run for real with fake `dpkg-query` and `apt-get` first on its PATH:
what it installs as root, and the exact line it stops with as anybody else."""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SUITE = [
    "libpango-1.0-0",
    "libpangoft2-1.0-0",
    "libharfbuzz-subset0",
    "fonts-dejavu-core",
    "chromium",
    "chromium-driver",
    "wrk",
]


@pytest.fixture
def fake_debian() -> Iterator[Path]:
    """A bin directory with a dpkg-query that knows the packages listed in `installed`,
    and an apt-get that only records its arguments in `apt.log`. Readable by any user:
    the script also runs as `nobody`."""
    home = Path(tempfile.mkdtemp(prefix="guichet-bootstrap-"))
    try:
        home.chmod(0o755)
        bin_dir = home / "bin"
        bin_dir.mkdir()
        (home / "installed").write_text("")
        # dpkg-query -W -f=<format> <package>: the package is the third argument.
        (bin_dir / "dpkg-query").write_text(
            f'#!/bin/sh\ngrep -qx "$3" {home}/installed && printf "ii " && exit 0\nexit 1\n'
        )
        (bin_dir / "apt-get").write_text(f'#!/bin/sh\necho "$@" >> {home}/apt.log\n')
        for path in (*bin_dir.iterdir(), home / "installed"):
            path.chmod(0o755)
        yield home
    finally:
        shutil.rmtree(home)


def bootstrap(fake: Path, *extra: str, as_user: bool = False) -> subprocess.CompletedProcess[str]:
    command = [str(ROOT / "scripts" / "bootstrap"), *extra]
    if as_user:
        command = ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", *command]
    return subprocess.run(
        command,
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, "PATH": f"{fake / 'bin'}:{os.environ['PATH']}"},
    )


def test_as_root_it_installs_only_what_is_missing(fake_debian: Path) -> None:
    if os.geteuid() != 0:
        pytest.skip("the install branch runs as root")
    (fake_debian / "installed").write_text("\n".join(SUITE[:3]) + "\n")
    result = bootstrap(fake_debian, "postgresql")
    assert result.returncode == 0, result.stderr
    calls = (fake_debian / "apt.log").read_text().splitlines()
    assert calls[0] == "update -qq"
    install = ["install", "-y", "-qq", "--no-install-recommends"]
    assert calls[1].split() == [*install, *SUITE[3:], "postgresql"]


def test_with_everything_there_it_does_nothing(fake_debian: Path) -> None:
    (fake_debian / "installed").write_text("\n".join(SUITE) + "\n")
    result = bootstrap(fake_debian)
    assert result.returncode == 0, result.stderr
    assert not (fake_debian / "apt.log").exists()


def test_without_root_it_stops_at_once_with_the_line_to_run(fake_debian: Path) -> None:
    if shutil.which("setpriv") is None or os.geteuid() != 0:
        pytest.skip("needs root to run the script as another user")
    (fake_debian / "installed").write_text("wrk\n")
    result = bootstrap(fake_debian, as_user=True)
    assert result.returncode == 1
    assert result.stderr.splitlines()[-1] == "sudo apt-get install -y " + " ".join(SUITE[:-1])
    assert not (fake_debian / "apt.log").exists()
