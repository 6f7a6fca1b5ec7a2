"""What the CLI knows of the local Guichet without importing it: the data directory, the
token secret kept there, and the URL a running `guichet up` serves. Standard library only:
`guichet token`, `dlq` and `outbox status` must answer at once."""

from __future__ import annotations

import json
import os
import secrets
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path
from typing import Any


class LocalError(Exception):
    """Something the operator must fix, said in one sentence."""


def data_dir(option: Path | None) -> Path:
    """`--data-dir`, else GUICHET_DATA_DIR, else ./var (as `guichet up` decides)."""
    return option or Path(os.environ.get("GUICHET_DATA_DIR") or "var")


def jwt_issuer() -> str:
    return os.environ.get("GUICHET_JWT_ISSUER") or "guichet"


def jwt_secret(directory: Path) -> str:
    """GUICHET_JWT_SECRET if set; else a random secret kept in the data directory, so a
    fresh install never accepts tokens signed with a secret printed in a README."""
    if configured := os.environ.get("GUICHET_JWT_SECRET"):
        return configured
    path = directory / "secrets" / "jwt_secret"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.touch(mode=0o600)
        path.write_text(secrets.token_urlsafe(48))
    return path.read_text().strip()


def url_file(directory: Path) -> Path:
    """Where `guichet up` writes the URL it serves, for the commands that talk to it."""
    return directory / "run" / "url"


def running_url(directory: Path, option: str | None) -> str:
    """`--url`, else the URL the `guichet up` of this data directory wrote."""
    if option:
        return option.rstrip("/")
    path = url_file(directory)
    if not path.exists():
        raise LocalError(
            f"no running Guichet found for the data directory {directory} (no {path}): "
            "start it with ./scripts/guichet up, or give --url"
        )
    return path.read_text().strip().rstrip("/")


def call(method: str, url: str, token: str, params: dict[str, Any] | None = None) -> Any:
    """A JSON call to a running Guichet; its problem's detail, or why it cannot be
    reached, becomes a LocalError."""
    query = urllib.parse.urlencode(params or {}, doseq=True)
    request = urllib.request.Request(
        f"{url}?{query}" if query else url,
        method=method,
        headers={"Authorization": f"Bearer {token}", "Accept": "application/json"},
    )
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return json.load(response)
    except urllib.error.HTTPError as exc:
        try:
            problem = json.load(exc)
            reason = problem.get("detail") or problem.get("title")
        except ValueError:
            reason = exc.reason
        raise LocalError(f"{exc.code} from {url}: {reason}") from exc
    except urllib.error.URLError as exc:
        raise LocalError(
            f"no Guichet answers at {url} ({exc.reason}): is `guichet up` running?"
        ) from exc
