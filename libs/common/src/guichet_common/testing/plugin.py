"""pytest plugin (loaded with `-p guichet_common.testing.plugin`).

Where the database and broker come from, in order: `GUICHET_TEST_DATABASE_URL` /
`GUICHET_TEST_AMQP_URL`; testcontainers when a Docker engine answers; otherwise an embedded
PostgreSQL, and broker tests skip with the reason. Under `CI=true` a skip fails the run.
"""

from __future__ import annotations

import asyncio
import logging
import os
import shutil
import subprocess
import tempfile
import uuid
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from pathlib import Path

import httpx
import pytest
from alembic import command
from alembic.config import Config
from fastapi import FastAPI
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, create_async_engine

from guichet_common.logging import configure_logging
from guichet_common.settings import asyncpg_url
from guichet_common.testing.bus import BusSchema, create_bus_schema, drop_bus_schema


def _docker_answers() -> bool:
    if shutil.which("docker") is None:
        return False
    try:
        return subprocess.run(["docker", "info"], capture_output=True, timeout=10).returncode == 0
    except (OSError, subprocess.TimeoutExpired):
        return False


def pytest_configure() -> None:
    # Logs of the code under test in the console format, tracebacks without locals.
    configure_logging("INFO", json=False)
    # The test SMTP server (aiosmtpd, in its own thread) narrates every connection.
    logging.getLogger("mail.log").setLevel(logging.WARNING)


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    if os.environ.get("CI", "").lower() not in {"1", "true", "yes"}:
        return
    reporter = session.config.pluginmanager.get_plugin("terminalreporter")
    skipped = reporter.stats.get("skipped", []) if reporter is not None else []
    if skipped and exitstatus == 0:
        if reporter is not None:
            reporter.write_line(
                f"CI: {len(skipped)} test(s) skipped; in CI every integration test must run",
                red=True,
            )
        session.exitstatus = pytest.ExitCode.TESTS_FAILED


@pytest.fixture(scope="session")
def postgres_admin_url() -> Iterator[str]:
    """A server where the harness may create and drop databases."""
    if url := os.environ.get("GUICHET_TEST_DATABASE_URL"):
        yield asyncpg_url(url)
        return
    if _docker_answers():
        from testcontainers.postgres import PostgresContainer

        with PostgresContainer("postgres:17-alpine", driver="asyncpg") as container:
            yield asyncpg_url(container.get_connection_url())
        return
    from guichet_common.embedded import EmbeddedPostgres

    data_dir = Path(tempfile.mkdtemp(prefix="guichet-test-pg-"))
    embedded = EmbeddedPostgres(data_dir)
    embedded.start()
    try:
        yield embedded.url
    finally:
        embedded.stop()
        shutil.rmtree(data_dir, ignore_errors=True)


@asynccontextmanager
async def scratch_database(admin_url: str, prefix: str) -> AsyncIterator[str]:
    """A new, empty database on the server at `admin_url`, dropped on leaving."""
    name = f"{prefix}_{uuid.uuid4().hex[:10]}"
    admin = create_async_engine(admin_url, isolation_level="AUTOCOMMIT")
    async with admin.connect() as conn:
        await conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
    try:
        yield make_url(admin_url).set(database=name).render_as_string(hide_password=False)
    finally:
        async with admin.connect() as conn:
            await conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await admin.dispose()


@pytest.fixture(scope="session")
async def test_database_url(postgres_admin_url: str) -> AsyncIterator[str]:
    """A fresh database for this test session, dropped at the end."""
    async with scratch_database(postgres_admin_url, "guichet_test") as url:
        yield url


@pytest.fixture(scope="session")
def amqp_url() -> Iterator[str]:
    if url := os.environ.get("GUICHET_TEST_AMQP_URL"):
        yield url
        return
    if _docker_answers():
        from testcontainers.rabbitmq import RabbitMqContainer

        with RabbitMqContainer("rabbitmq:3.13-management") as container:
            params = container.get_connection_params()
            yield f"amqp://guest:guest@{params.host}:{params.port}/"
        return
    pytest.skip("no RabbitMQ: set GUICHET_TEST_AMQP_URL or run a Docker engine")


@pytest.fixture(scope="session")
def service_root() -> Path:
    """`services/<name>/` of the service under test; each service's conftest overrides it."""
    raise pytest.UsageError("override the `service_root` fixture in the service's conftest.py")


def alembic_upgrade(root: Path, database_url: str) -> None:
    config = Config(str(root / "alembic.ini"))
    config.set_main_option("script_location", str(root / "migrations"))
    config.attributes["database_url"] = database_url
    command.upgrade(config, "head")


@pytest.fixture(scope="session")
async def _engines_by_root(
    test_database_url: str,  # noqa: ARG001  (engines close before the database is dropped)
) -> AsyncIterator[dict[Path, AsyncEngine]]:
    # Keyed by service: session fixtures are cached once, whatever conftest overrides below.
    engines: dict[Path, AsyncEngine] = {}
    yield engines
    for engine in engines.values():
        await engine.dispose()


@pytest.fixture
async def engine(
    test_database_url: str, service_root: Path, _engines_by_root: dict[Path, AsyncEngine]
) -> AsyncEngine:
    """An engine on a database where the service's real migrations ran, once per session."""
    if service_root not in _engines_by_root:
        await asyncio.to_thread(alembic_upgrade, service_root, test_database_url)
        _engines_by_root[service_root] = create_async_engine(test_database_url, pool_size=5)
    return _engines_by_root[service_root]


@pytest.fixture
def migrated_database_url(engine: AsyncEngine) -> str:
    return engine.url.render_as_string(hide_password=False)


@pytest.fixture
async def db_session(engine: AsyncEngine) -> AsyncIterator[AsyncSession]:
    """A session inside a transaction rolled back after the test; commits become savepoints."""
    async with engine.connect() as conn:
        transaction = await conn.begin()
        session = AsyncSession(
            bind=conn, expire_on_commit=False, join_transaction_mode="create_savepoint"
        )
        try:
            yield session
        finally:
            await session.close()
            await transaction.rollback()


@pytest.fixture
async def bus_schema(test_database_url: str) -> AsyncIterator[BusSchema]:
    """A throwaway schema with the plumbing tables and an `effect` table handlers write to."""
    schema = await create_bus_schema(
        create_async_engine(test_database_url, pool_size=10), f"bus_{uuid.uuid4().hex[:8]}"
    )
    try:
        yield schema
    finally:
        await drop_bus_schema(schema)


@pytest.fixture
async def consumer_group(amqp_url: str) -> AsyncIterator[str]:
    """A consumer group (queue `testsvc.<group>`) of this test only, deleted afterwards."""
    import aio_pika

    name = f"g{uuid.uuid4().hex[:10]}"
    yield name
    connection = await aio_pika.connect(amqp_url)
    async with connection:
        channel = await connection.channel()
        for queue in (f"testsvc.{name}", f"testsvc.{name}.dlq"):
            await channel.queue_delete(queue)


async def assert_app_ready(app: FastAPI) -> None:
    """A service app started with its lifespan: alive, ready (database and broker), and
    serving its OpenAPI document where `guichet up` and the gateway expect it."""
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
            assert (await client.get("/healthz")).status_code == 200
            ready = await client.get("/readyz")
            assert ready.status_code == 200, ready.text
            assert (await client.get(app.openapi_url or "")).json()["info"]["title"]
