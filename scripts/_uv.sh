# Sourced by scripts/*: make `uv` available (from PyPI) and the workspace installed.
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
export UV_FROZEN=1
"${UV[@]}" sync --quiet --all-packages
