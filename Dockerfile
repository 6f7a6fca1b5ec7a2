# syntax=docker/dockerfile:1
#
# One image for every Guichet process: the four service APIs, their workers,
# their Alembic migrations and the `guichet` CLI (dlq, outbox, token).
#
#   docker build -t guichet:dev .                          # all services
#   docker build -t guichet-garage:dev --build-arg SERVICE=garage .
#
# The command picks the process:
#   uvicorn <svc>.main:create_app --factory --host 0.0.0.0 --port 8000
#   python -m <svc>.worker
#   alembic -c services/<svc>/alembic.ini upgrade head

ARG PYTHON_IMAGE=python:3.11-slim-bookworm

# ---------------------------------------------------------------- builder ---
FROM ${PYTHON_IMAGE} AS builder

# uv comes from PyPI; pin the release the lock file was written with.
ARG UV_VERSION=0.13.9
# Empty: every workspace member. A service name (ticketing, garage, imaging,
# notifier): only that service and guichet-common.
ARG SERVICE=""

ENV PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    UV_COMPILE_BYTECODE=1 \
    UV_LINK_MODE=copy \
    UV_PYTHON_DOWNLOADS=never \
    UV_PYTHON=/usr/local/bin/python3.11 \
    UV_PROJECT_ENVIRONMENT=/app/.venv

RUN pip install "uv==${UV_VERSION}"

WORKDIR /app

# Third-party dependencies first, from the lock alone, so that this layer is
# reused as long as no pyproject.toml and uv.lock change.
COPY pyproject.toml uv.lock ./
COPY libs/common/pyproject.toml libs/common/
COPY apps/guichet/pyproject.toml apps/guichet/
COPY services/ticketing/pyproject.toml services/ticketing/
COPY services/garage/pyproject.toml services/garage/
COPY services/imaging/pyproject.toml services/imaging/
COPY services/notifier/pyproject.toml services/notifier/
RUN --mount=type=cache,target=/root/.cache/uv \
    if [ -n "$SERVICE" ]; then set -- --package "guichet-$SERVICE"; else set -- --all-packages; fi; \
    uv sync --frozen --no-dev --no-install-workspace "$@"

# Then the workspace's own packages, installed as real (non-editable) wheels
# so the runtime stage needs nothing but the virtualenv.
COPY libs libs
COPY apps apps
COPY services services
RUN --mount=type=cache,target=/root/.cache/uv \
    if [ -n "$SERVICE" ]; then set -- --package "guichet-$SERVICE"; else set -- --all-packages; fi; \
    uv sync --frozen --no-dev --no-editable "$@"

# Gather each service's Alembic config and scripts under /out, keeping the
# services/<svc>/ layout the alembic.ini files expect.
RUN set -eu; \
    mkdir -p /out/services; \
    for dir in services/*/; do \
        svc="$(basename "$dir")"; \
        if [ -n "$SERVICE" ] && [ "$svc" != "$SERVICE" ]; then continue; fi; \
        mkdir -p "/out/services/$svc"; \
        cp "$dir/alembic.ini" "/out/services/$svc/alembic.ini"; \
        cp -R "$dir/migrations" "/out/services/$svc/migrations"; \
    done; \
    find /out -name '__pycache__' -type d -prune -exec rm -rf {} +

# ---------------------------------------------------------------- runtime ---
FROM ${PYTHON_IMAGE} AS runtime

ARG SERVICE=""

LABEL org.opencontainers.image.title="guichet" \
      org.opencontainers.image.description="Guichet service desk: ticketing, garage, imaging and notifier services"

# GUICHET_DATA_DIR defaults to ./var, i.e. /app/var, which is read-only
# here; /tmp is the one writable place (a tmpfs or emptyDir).
ENV PATH="/app/.venv/bin:${PATH}" \
    VIRTUAL_ENV=/app/.venv \
    PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    GUICHET_DATA_DIR=/tmp/guichet \
    GUICHET_IMAGE_SERVICE=${SERVICE}

# A fixed numeric uid/gid so Kubernetes can check runAsNonRoot.
RUN groupadd --system --gid 10001 guichet \
 && useradd --system --uid 10001 --gid guichet --no-create-home \
        --home-dir /nonexistent --shell /usr/sbin/nologin guichet

WORKDIR /app
# Owned by root and read-only for the app user: the image works with a
# read-only root filesystem (only /tmp needs to be writable).
COPY --from=builder /app/.venv /app/.venv
COPY --from=builder /out/services /app/services

USER 10001:10001
EXPOSE 8000 8001

# Compose and Kubernetes always give a command; without one, a per-service
# image (built with SERVICE) starts its API.
CMD ["sh", "-c", "exec uvicorn \"${GUICHET_IMAGE_SERVICE:?no command given: build with --build-arg SERVICE=<svc> or pass a command}.main:create_app\" --factory --host 0.0.0.0 --port 8000"]
