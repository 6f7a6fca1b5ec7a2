# Sourced by scripts/*: make `uv` available (from PyPI) and the workspace installed.
if command -v uv >/dev/null 2>&1; then
    UV=(uv)
else
    if ! python3 -m uv --version >/dev/null 2>&1; then
        python3 -m pip install --quiet --disable-pip-version-check uv
    fi
    UV=(python3 -m uv)
fi
export UV_FROZEN=1
"${UV[@]}" sync --quiet --all-packages
