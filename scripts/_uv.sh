# Sourced by scripts/*: make `uv` available (from PyPI) and the workspace installed.
# TLS trusts the machine's certificate store, where a school network's TLS-inspecting
# proxy has its CA installed, not only the roots pip and uv bundle.
SYSTEM_CA_BUNDLE=/etc/ssl/certs/ca-certificates.crt
if [ -r "$SYSTEM_CA_BUNDLE" ]; then
    export PIP_CERT="${PIP_CERT:-$SYSTEM_CA_BUNDLE}"
fi
if command -v uv >/dev/null 2>&1; then
    UV=(uv)
elif python3 -m uv --version >/dev/null 2>&1; then
    UV=(python3 -m uv)
elif python3 -m pip install --quiet --disable-pip-version-check uv >/dev/null 2>&1; then
    UV=(python3 -m uv)
else
    # A system Python that refuses pip installs (PEP 668) or has no pip: a private venv.
    if ! [ -x .tools/bin/uv ]; then
        python3 -m venv .tools || {
            echo "cannot create a virtualenv: install python3-venv (apt-get install python3-venv)" >&2
            exit 1
        }
        .tools/bin/python -m pip install --quiet --disable-pip-version-check uv
    fi
    UV=(.tools/bin/uv)
fi
# uv's name for "use the platform's certificate store" changed; older releases know the
# first one only.
if "${UV[@]}" help sync 2>/dev/null | grep -q -- "--system-certs"; then
    export UV_SYSTEM_CERTS=1
else
    export UV_NATIVE_TLS=1
fi
export UV_FROZEN=1
# Bytecode compiled once here: every Python process the suite starts (the CLI, `guichet up`,
# schemathesis) would otherwise compile its imports again (PYTHONDONTWRITEBYTECODE).
"${UV[@]}" sync --quiet --all-packages --compile-bytecode
