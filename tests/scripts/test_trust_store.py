"""Behind a TLS-inspecting proxy (school networks), the proxy's CA is in the machine's
trust store, not in the roots uv bundles: the scripts make uv trust the machine's store.

Proven for real: a package index over HTTPS with a certificate from a CA installed in the
system store (and removed afterwards), reached by uv as `scripts/_uv.sh` sets it up, and
refused by uv left to its own roots."""

from __future__ import annotations

import base64
import hashlib
import http.server
import io
import os
import shutil
import ssl
import subprocess
import threading
import uuid
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from guichet_common.testing.tls import make_pki

ROOT = Path(__file__).resolve().parents[2]
SYSTEM_CAS = Path("/usr/local/share/ca-certificates")
PROJECT = "guichet-tls-probe"


def _wheel() -> tuple[str, bytes]:
    """A minimal valid wheel of `guichet-tls-probe` 1.0."""
    files = {
        "guichet_tls_probe/__init__.py": b"",
        "guichet_tls_probe-1.0.dist-info/METADATA": (
            b"Metadata-Version: 2.1\nName: guichet-tls-probe\nVersion: 1.0\n"
        ),
        "guichet_tls_probe-1.0.dist-info/WHEEL": (
            b"Wheel-Version: 1.0\nGenerator: test\nRoot-Is-Purelib: true\nTag: py3-none-any\n"
        ),
    }

    def digest(data: bytes) -> str:
        return base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()

    record = [f"{path},sha256={digest(data)},{len(data)}" for path, data in files.items()]
    record.append("guichet_tls_probe-1.0.dist-info/RECORD,,")
    files["guichet_tls_probe-1.0.dist-info/RECORD"] = ("\n".join(record) + "\n").encode()
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for path, data in files.items():
            archive.writestr(path, data)
    return "guichet_tls_probe-1.0-py3-none-any.whl", buffer.getvalue()


@pytest.fixture
def https_index(tmp_path: Path) -> Iterator[str]:
    """A PEP 503 index on https://127.0.0.1, its CA trusted by the system store only."""
    if os.geteuid() != 0 or shutil.which("update-ca-certificates") is None:
        pytest.skip("installing a CA in the system trust store needs root and ca-certificates")
    pki = make_pki(tmp_path)
    wheel_name, wheel = _wheel()
    index = tmp_path / "index"
    (index / "simple" / PROJECT).mkdir(parents=True)
    (index / wheel_name).write_bytes(wheel)
    (index / "simple" / PROJECT / "index.html").write_text(
        f'<a href="../../{wheel_name}">{wheel_name}</a>'
    )

    class Handler(http.server.SimpleHTTPRequestHandler):
        def __init__(self, *args: object, **kwargs: object) -> None:
            super().__init__(*args, directory=str(index), **kwargs)  # type: ignore[arg-type]

        def log_message(self, *_args: object) -> None:
            pass

    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(pki.server_cert, pki.server_key)
    httpd.socket = context.wrap_socket(httpd.socket, server_side=True)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    installed = SYSTEM_CAS / f"guichet-test-{uuid.uuid4().hex[:8]}.crt"
    installed.write_bytes(pki.ca_pem)
    try:
        subprocess.run(["update-ca-certificates"], check=True, capture_output=True)
        yield f"https://127.0.0.1:{httpd.server_port}/simple"
    finally:
        installed.unlink()
        subprocess.run(["update-ca-certificates", "--fresh"], check=True, capture_output=True)
        httpd.shutdown()


def _install(
    index: str, target: Path, *, as_the_scripts_do: bool
) -> subprocess.CompletedProcess[str]:
    """`uv pip install` after `scripts/_uv.sh`, with or without the trust it sets up."""
    forget = "" if as_the_scripts_do else "unset UV_SYSTEM_CERTS UV_NATIVE_TLS; "
    install = f"pip install --no-cache --target {target} --index-url {index} {PROJECT}"
    script = f'set -e; source scripts/_uv.sh; {forget}"${{UV[@]}}" {install}'

    # A school machine: the proxy's CA in the system store, no certificate variables.
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("SSL_CERT_", "UV_")) and k not in {"PIP_CERT", "VIRTUAL_ENV"}
    }
    env["NO_PROXY"] = env["no_proxy"] = "127.0.0.1"
    return subprocess.run(
        ["bash", "-c", script], cwd=ROOT, env=env, capture_output=True, text=True, timeout=300
    )


def test_uv_trusts_the_machines_store_as_the_scripts_set_it_up(
    https_index: str, tmp_path: Path
) -> None:
    refused = _install(https_index, tmp_path / "bundled-roots", as_the_scripts_do=False)
    assert refused.returncode != 0, "uv alone must not know the test CA: the test proves nothing"
    done = _install(https_index, tmp_path / "system-store", as_the_scripts_do=True)
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "system-store" / "guichet_tls_probe" / "__init__.py").exists()
