"""`guichet`: up, migrate, token, dlq, outbox, contracts."""

from __future__ import annotations

import asyncio
import contextlib
import fcntl
import os
import secrets
from datetime import timedelta
from pathlib import Path
from typing import Annotated, Any

import typer
import uvicorn

from guichet.services import SERVICES, service
from guichet_common.auth import Role, mint_token
from guichet_common.contracts import asyncapi_yaml, openapi_json
from guichet_common.db import make_engine, make_session_factory, unit_of_work
from guichet_common.logging import configure_logging
from guichet_common.outbox import outbox_status
from guichet_common.settings import CommonSettings

app = typer.Typer(
    help="Guichet, the service desk of the school district's IT department.", no_args_is_help=True
)
dlq_app = typer.Typer(
    help="Messages parked after their last retry (RabbitMQ).", no_args_is_help=True
)
outbox_app = typer.Typer(help="The services' transactional outboxes.", no_args_is_help=True)
app.add_typer(dlq_app, name="dlq")
app.add_typer(outbox_app, name="outbox")

DataDir = Annotated[Path | None, typer.Option("--data-dir", help="Data directory (default ./var)")]


def _settings(data_dir: Path | None) -> CommonSettings:
    if data_dir is not None:
        os.environ["GUICHET_DATA_DIR"] = str(data_dir)
    return CommonSettings()


def _jwt_secret(settings: CommonSettings) -> str:
    """GUICHET_JWT_SECRET if set; else a random secret kept in the data directory, so a
    fresh install never accepts tokens signed with a secret printed in a README."""
    if "GUICHET_JWT_SECRET" in os.environ:
        return settings.jwt_secret.get_secret_value()
    path = settings.data_dir / "secrets" / "jwt_secret"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.touch(mode=0o600)
        path.write_text(secrets.token_urlsafe(48))
    return path.read_text().strip()


def _database_url(settings: CommonSettings) -> str:
    if settings.database_url:
        return settings.database_url
    from guichet_common.embedded import EmbeddedPostgres

    embedded = EmbeddedPostgres(settings.data_dir)
    port = embedded.running_port()
    if port is None:
        raise typer.BadParameter(
            "no GUICHET_DATABASE_URL and no embedded PostgreSQL running in "
            f"{settings.data_dir}: start `guichet up` first"
        )
    embedded.port = port
    return embedded.url


@app.command()
def up(
    port: Annotated[int, typer.Option(help="HTTP port")] = 8000,
    host: Annotated[str, typer.Option(help="Interface to listen on")] = "127.0.0.1",
    data_dir: DataDir = None,
) -> None:
    """Start all four services in one process: embedded PostgreSQL and in-process bus unless
    GUICHET_DATABASE_URL / GUICHET_AMQP_URL say otherwise."""
    from guichet.allinone import build_app, migrate
    from guichet_common.embedded import EmbeddedPostgres

    settings = _settings(data_dir)
    configure_logging(settings.log_level, json=settings.log_json)
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    # One `guichet up` per data directory: a second would share, then stop, the first's server.
    lock = (settings.data_dir / "guichet.lock").open("w")
    try:
        fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        raise typer.BadParameter(
            f"another `guichet up` is running on {settings.data_dir}", param_hint="--data-dir"
        ) from None
    os.environ["GUICHET_JWT_SECRET"] = _jwt_secret(settings)
    embedded = None
    database_url = settings.database_url
    if not database_url:
        embedded = EmbeddedPostgres(settings.data_dir)
        database_url = embedded.start()
        os.environ["GUICHET_DATABASE_URL"] = database_url
    try:
        asyncio.run(migrate(database_url))
        server = uvicorn.Server(
            uvicorn.Config(
                build_app(settings.amqp_url, settings.data_dir),
                host=host,
                port=port,
                log_config=None,
                access_log=False,
            )
        )
        with contextlib.suppress(KeyboardInterrupt):  # uvicorn re-raises Ctrl-C once done
            server.run()
    finally:
        if embedded is not None:
            embedded.stop()


@app.command("migrate")
def migrate_command(
    only: Annotated[list[str] | None, typer.Option("--service", help="Only this service")] = None,
    data_dir: DataDir = None,
) -> None:
    """Apply every service's migrations (alembic upgrade head)."""
    from guichet.allinone import migrate

    settings = _settings(data_dir)
    entries = [service(n) for n in only] if only else list(SERVICES)
    asyncio.run(migrate(_database_url(settings), entries))
    typer.echo(f"migrated: {', '.join(e.name for e in entries)}")
    if settings.amqp_url:
        from guichet_common.messaging.topology import declare_queues

        specs = [spec for entry in entries for spec in entry.definition().queue_specs()]
        asyncio.run(declare_queues(settings.amqp_url, specs))
        typer.echo(f"declared queues: {', '.join(s.name for s in specs) or 'none'}")


@app.command()
def token(
    role: Annotated[list[Role], typer.Option("--role", help="Role (repeatable)")],
    sub: Annotated[str, typer.Option("--sub", help="Subject (user id)")],
    ttl: Annotated[int, typer.Option(help="Lifetime in minutes")] = 720,
    name: Annotated[str | None, typer.Option(help="Display name")] = None,
    data_dir: DataDir = None,
) -> None:
    """Mint a JWT the embedded default accepts; the token is alone on the last line."""
    settings = _settings(data_dir)
    typer.echo(
        mint_token(
            _jwt_secret(settings),
            subject=sub,
            roles=[r.value for r in role],
            ttl=timedelta(minutes=ttl),
            issuer=settings.jwt_issuer,
            name=name,
        )
    )


def _consumer_queues() -> list[str]:
    return [spec.name for entry in SERVICES for spec in entry.definition().queue_specs()]


UpUrl = Annotated[
    str, typer.Option("--url", help="The running `guichet up` (when GUICHET_AMQP_URL is unset)")
]


def _ops_request(
    method: str, path: str, url: str, data_dir: Path | None, params: dict[str, Any]
) -> Any:
    """The embedded default keeps parked messages in its process: ask it over HTTP, with a
    short-lived ops token signed by the data directory's secret."""
    import httpx

    settings = _settings(data_dir)
    token = mint_token(
        _jwt_secret(settings),
        subject="guichet-cli",
        roles=[Role.OPS.value],
        ttl=timedelta(minutes=5),
        issuer=settings.jwt_issuer,
    )
    response = httpx.request(
        method,
        url.rstrip("/") + path,
        params=params,
        timeout=30,
        headers={"Authorization": f"Bearer {token}"},
    )
    if response.status_code >= 400:
        raise typer.BadParameter(f"{response.status_code}: {response.text}")
    return response.json()


@dlq_app.command("list")
def dlq_list(
    queue: Annotated[list[str] | None, typer.Option(help="Queue (default: every consumer)")] = None,
    url: UpUrl = "http://127.0.0.1:8000",
    data_dir: DataDir = None,
) -> None:
    """Depth of each `<queue>.dlq` and why its first messages were parked."""
    from guichet_common.dlq import DeadLetterQueue, ParkedSummary, inspect

    amqp_url = CommonSettings().amqp_url
    if amqp_url:
        queues = asyncio.run(inspect(amqp_url, queue or _consumer_queues()))
    else:
        raw = _ops_request("GET", "/api/ops/dlq", url, data_dir, {"queue": queue or []})
        queues = [
            DeadLetterQueue(q["queue"], q["depth"], [ParkedSummary(**p) for p in q["sample"]])
            for q in raw
        ]
    for dlq in queues:
        typer.echo(f"{dlq.queue}.dlq  {dlq.depth} parked")
        for parked in dlq.sample:
            typer.echo(
                f"  {parked.event_id}  {parked.event_type}  {parked.parked_at or ''}  "
                f"{parked.error}"
            )


@dlq_app.command("replay")
def dlq_replay(
    queue: Annotated[str, typer.Argument(help="The consumer queue, e.g. notifier.garage")],
    limit: Annotated[int | None, typer.Option(help="At most this many")] = None,
    url: UpUrl = "http://127.0.0.1:8000",
    data_dir: DataDir = None,
) -> None:
    """Send parked messages back to their queue with a fresh retry budget."""
    from guichet_common.dlq import replay

    amqp_url = CommonSettings().amqp_url
    if amqp_url:
        moved = asyncio.run(replay(amqp_url, queue, limit=limit))
    else:
        params = {"limit": limit} if limit is not None else {}
        moved = _ops_request("POST", f"/api/ops/dlq/{queue}/replay", url, data_dir, params)[
            "replayed"
        ]
    typer.echo(f"replayed {moved} message(s) to {queue}")


@outbox_app.command("status")
def outbox_status_command(data_dir: DataDir = None) -> None:
    """Pending rows, oldest pending, published in the last hour, failing, per service."""
    settings = _settings(data_dir)
    url = _database_url(settings)

    async def collect() -> None:
        engine = make_engine(url, pool_size=1)
        try:
            async with unit_of_work(make_session_factory(engine)) as session:
                for entry in SERVICES:
                    s = await outbox_status(session, entry.definition().tables)
                    oldest = s.oldest_pending_at.isoformat() if s.oldest_pending_at else "-"
                    typer.echo(
                        f"{s.schema:<10} pending={s.pending} oldest={oldest} "
                        f"published_1h={s.published_last_hour} failing={s.failing}"
                        + (f" last_error={s.last_error}" if s.last_error else "")
                    )
        finally:
            await engine.dispose()

    asyncio.run(collect())


@app.command()
def contracts(
    check: Annotated[bool, typer.Option(help="Fail if the committed files differ")] = False,
) -> None:
    """Write (or --check) services/<svc>/openapi.json and asyncapi.yaml from the code."""
    drift = []
    for entry in SERVICES:
        definition = entry.definition()
        generated = {
            "openapi.json": openapi_json(entry.create_app()),
            "asyncapi.yaml": asyncapi_yaml(definition),
        }
        for filename, content in generated.items():
            path = entry.root / filename
            if check:
                if not path.exists() or path.read_text() != content:
                    drift.append(str(path))
            else:
                path.write_text(content)
    if drift:
        typer.echo(
            "contract drift (run `guichet contracts` and commit):\n  " + "\n  ".join(drift),
            err=True,
        )
        raise typer.Exit(1)
    typer.echo("contracts up to date" if check else "contracts written")
