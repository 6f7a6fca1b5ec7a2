"""`guichet`: up, migrate, token, dlq, outbox, contracts.

Each command imports what it uses, when it runs: `token`, `dlq` and `outbox status` against
a running `guichet up` answer without importing any service or web framework."""

from __future__ import annotations

import contextlib
import ctypes.util
import fcntl
import os
import signal
import socket
from datetime import timedelta
from pathlib import Path
from typing import Annotated, Any

import typer

from guichet import local
from guichet_common.identity import Role, mint_token

app = typer.Typer(
    help="Guichet, the service desk of the school district's IT department.", no_args_is_help=True
)
dlq_app = typer.Typer(help="Messages parked after their last retry.", no_args_is_help=True)
outbox_app = typer.Typer(help="The services' transactional outboxes.", no_args_is_help=True)
imaging_app = typer.Typer(help="The PC park.", no_args_is_help=True)
app.add_typer(dlq_app, name="dlq")
app.add_typer(outbox_app, name="outbox")
app.add_typer(imaging_app, name="imaging")

DataDir = Annotated[Path | None, typer.Option("--data-dir", help="Data directory (default ./var)")]
UrlOption = Annotated[
    str | None,
    typer.Option("--url", help="A running Guichet (default: the one `guichet up` serves)"),
]
TokenOption = Annotated[
    str | None,
    typer.Option("--token", help="An ops token for it (default: signed with the local secret)"),
]
# The libraries WeasyPrint loads to make PDF quotes and repair notes, and their packages.
PDF_LIBRARIES = {
    "pango-1.0": "libpango-1.0-0",
    "pangoft2-1.0": "libpangoft2-1.0-0",
    "harfbuzz-subset": "libharfbuzz-subset0",
}


def fail(message: str) -> typer.Exit:
    """One plain sentence on stderr, exit 1."""
    typer.echo(message, err=True)
    return typer.Exit(1)


def _check_port_free(host: str, port: int) -> None:
    """Before anything is started: a busy port is said at once, in one sentence."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError as exc:
            typer.echo(
                f"Cannot listen on {host} port {port} ({exc.strerror}): stop what uses it, "
                "or choose another port with --port.",
                err=True,
            )
            raise typer.Exit(2) from exc


EVERYWHERE = {"0.0.0.0", "::", ""}


def _local_url(host: str, port: int) -> str:
    """Where this machine reaches the server (loopback when it listens everywhere)."""
    shown = "127.0.0.1" if host in EVERYWHERE else (f"[{host}]" if ":" in host else host)
    return f"http://{shown}:{port}"


def _public_base_url(host: str, port: int) -> str:
    """Links in e-mails and pages: GUICHET_PUBLIC_BASE_URL, else where this process
    listens, port included."""
    if configured := os.environ.get("GUICHET_PUBLIC_BASE_URL"):
        return configured
    base = _local_url(host, port)
    if host in EVERYWHERE:
        typer.echo(
            f"Links in e-mails and pages will point at {base}, which other machines cannot "
            "reach: set GUICHET_PUBLIC_BASE_URL to the address people use.",
            err=True,
        )
    return base


def forwarded_headers(trusted_proxies: str) -> dict[str, Any]:
    """X-Forwarded-For and -Proto are believed from these addresses or networks only
    (GUICHET_TRUSTED_PROXIES, comma-separated): by default from none, or any local client
    could choose the address its rate limit counts."""
    trusted = [item.strip() for item in trusted_proxies.split(",") if item.strip()]
    return {"proxy_headers": bool(trusted), "forwarded_allow_ips": trusted}


def _missing_pdf_packages() -> list[str]:
    return [package for lib, package in PDF_LIBRARIES.items() if not ctypes.util.find_library(lib)]


class Terminated(Exception):
    """SIGTERM (a service manager, `kill`, `timeout`): stop as Ctrl-C does."""


def _terminated(_signum: int, _frame: object) -> None:
    raise Terminated


def _garage_identity_warning() -> str | None:
    """The garage issues no quote or invoice until its legal identity is set."""
    from garage.settings import GarageSettings

    missing = GarageSettings().missing_seller_settings()
    if not missing:
        return None
    return (
        "Garage: no quote or invoice can be issued until the garage's identity is set "
        f"({', '.join(missing)} are unset)."
    )


@app.command()
def up(
    port: Annotated[int, typer.Option(help="HTTP port")] = 8000,
    host: Annotated[str, typer.Option(help="Interface to listen on")] = "127.0.0.1",
    data_dir: DataDir = None,
) -> None:
    """Start all four services in one process: embedded PostgreSQL and in-process bus unless
    GUICHET_DATABASE_URL / GUICHET_AMQP_URL say otherwise."""
    import asyncio

    _check_port_free(host, port)
    directory = local.data_dir(data_dir)
    os.environ["GUICHET_DATA_DIR"] = str(directory)
    os.environ["GUICHET_PUBLIC_BASE_URL"] = _public_base_url(host, port)
    if missing := _missing_pdf_packages():
        typer.echo(
            "PDF quotes and repair notes need Pango and HarfBuzz: "
            f"sudo apt-get install -y {' '.join(missing)}",
            err=True,
        )
    if warning := _garage_identity_warning():
        typer.echo(warning, err=True)

    import uvicorn

    from guichet.allinone import build_app, migrate
    from guichet_common.embedded import EmbeddedPostgres
    from guichet_common.logging import configure_logging
    from guichet_common.settings import CommonSettings

    settings = CommonSettings()
    configure_logging(settings.log_level, json=settings.log_json)
    directory.mkdir(parents=True, exist_ok=True)
    # One `guichet up` per data directory: a second would share, then stop, the first's server.
    lock = (directory / "guichet.lock").open("w")
    try:
        fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        raise fail(f"another `guichet up` is running on {directory}") from None
    os.environ["GUICHET_JWT_SECRET"] = local.jwt_secret(directory)
    embedded = None
    database_url = settings.database_url
    if not database_url:
        embedded = EmbeddedPostgres(directory)
        database_url = embedded.start()
        os.environ["GUICHET_DATABASE_URL"] = database_url
    url_file = local.url_file(directory)
    # uvicorn stops on SIGTERM too, then raises it again: with the default handler the
    # process would die there, before the embedded PostgreSQL is stopped below.
    signal.signal(signal.SIGTERM, _terminated)
    try:
        asyncio.run(migrate(database_url))
        server = uvicorn.Server(
            uvicorn.Config(
                build_app(settings.amqp_url, directory),
                host=host,
                port=port,
                log_config=None,
                access_log=False,
                **forwarded_headers(os.environ.get("GUICHET_TRUSTED_PROXIES", "")),
            )
        )
        url_file.parent.mkdir(parents=True, exist_ok=True)
        url_file.write_text(_local_url(host, port) + "\n")
        # uvicorn raises the signal that stopped it again once done.
        with contextlib.suppress(KeyboardInterrupt, Terminated):
            server.run()
    except Terminated:
        pass  # stopped before serving: nothing more to do than below
    finally:
        url_file.unlink(missing_ok=True)
        if embedded is not None:
            embedded.stop()


@app.command("migrate")
def migrate_command(
    only: Annotated[list[str] | None, typer.Option("--service", help="Only this service")] = None,
    data_dir: DataDir = None,
) -> None:
    """Apply every service's migrations (alembic upgrade head), and declare the consumer
    queues when GUICHET_AMQP_URL is set."""
    import asyncio

    from guichet.allinone import migrate
    from guichet.services import SERVICES, service

    entries = [service(n) for n in only] if only else list(SERVICES)
    asyncio.run(migrate(_database_url(local.data_dir(data_dir)), entries))
    typer.echo(f"migrated: {', '.join(e.name for e in entries)}")
    if amqp_url := os.environ.get("GUICHET_AMQP_URL"):
        from guichet_common.messaging.topology import declare_queues

        specs = [spec for entry in entries for spec in entry.definition().queue_specs()]
        asyncio.run(declare_queues(amqp_url, specs))
        typer.echo(f"declared queues: {', '.join(s.name for s in specs) or 'none'}")


def _database_url(directory: Path) -> str:
    """GUICHET_DATABASE_URL, else the embedded PostgreSQL `guichet up` runs."""
    if configured := os.environ.get("GUICHET_DATABASE_URL"):
        from guichet_common.settings import asyncpg_url

        return asyncpg_url(configured)
    from guichet_common.embedded import EmbeddedPostgres

    embedded = EmbeddedPostgres(directory)
    port = embedded.running_port()
    if port is None:
        raise fail(
            f"no GUICHET_DATABASE_URL and no embedded PostgreSQL running in {directory}: "
            "start ./scripts/guichet up first"
        )
    embedded.port = port
    return embedded.url


@app.command()
def token(
    role: Annotated[list[Role], typer.Option("--role", help="Role (repeatable)")],
    sub: Annotated[str, typer.Option("--sub", help="Subject (user id)")],
    ttl: Annotated[int, typer.Option(help="Lifetime in minutes")] = 720,
    name: Annotated[str | None, typer.Option(help="Display name")] = None,
    email: Annotated[str | None, typer.Option(help="E-mail (the `email` claim)")] = None,
    site: Annotated[
        list[str] | None,
        typer.Option("--site", help="A site the person covers (repeatable); none: every site"),
    ] = None,
    data_dir: DataDir = None,
) -> None:
    """Mint a JWT the embedded default accepts; the token is alone on the last line."""
    typer.echo(
        mint_token(
            local.jwt_secret(local.data_dir(data_dir)),
            subject=sub,
            roles=[r.value for r in role],
            ttl=timedelta(minutes=ttl),
            issuer=local.jwt_issuer(),
            name=name,
            sites=site or None,
            email=email,
        )
    )


def _ops_call(
    method: str,
    path: str,
    data_dir: Path | None,
    url: str | None,
    token: str | None,
    params: dict[str, Any] | None = None,
) -> Any:
    """A call to the ops API of a running Guichet, with a short-lived ops token signed by
    the data directory's secret unless one is given."""
    directory = local.data_dir(data_dir)
    ops_token = token or mint_token(
        local.jwt_secret(directory),
        subject="guichet-cli",
        roles=[Role.OPS.value],
        ttl=timedelta(minutes=5),
        issuer=local.jwt_issuer(),
    )
    try:
        return local.call(method, local.running_url(directory, url) + path, ops_token, params)
    except local.LocalError as exc:
        raise fail(str(exc)) from exc


def _broker() -> str | None:
    """The broker to ask directly (compose, Kubernetes); None: ask the running Guichet."""
    return os.environ.get("GUICHET_AMQP_URL")


@dlq_app.command("list")
def dlq_list(
    queue: Annotated[list[str] | None, typer.Option(help="Queue (default: every consumer)")] = None,
    url: UrlOption = None,
    token: TokenOption = None,
    data_dir: DataDir = None,
) -> None:
    """Depth of each `<queue>.dlq` and why its first messages were parked."""
    import asyncio

    amqp_url = None if url else _broker()
    if amqp_url:
        from guichet_common.dlq import UnknownQueue, inspect

        names = queue or _consumer_queues()
        try:
            queues = asyncio.run(inspect(amqp_url, names))
        except UnknownQueue as exc:
            raise fail(str(exc)) from exc
        rows = [
            (q.queue, q.depth, [(p.event_id, p.event_type, p.parked_at, p.error) for p in q.sample])
            for q in queues
        ]
    else:
        found = _ops_call("GET", "/api/ops/dlq", data_dir, url, token, {"queue": queue or []})
        rows = [
            (
                q["queue"],
                q["depth"],
                [(p["event_id"], p["event_type"], p["parked_at"], p["error"]) for p in q["sample"]],
            )
            for q in found
        ]
    for name, depth, sample in rows:
        typer.echo(f"{name}.dlq  {depth} parked")
        for event_id, event_type, parked_at, error in sample:
            typer.echo(f"  {event_id}  {event_type}  {parked_at or ''}  {error}")


@dlq_app.command("replay")
def dlq_replay(
    queue: Annotated[str, typer.Argument(help="The consumer queue, e.g. notifier.events")],
    limit: Annotated[int | None, typer.Option(help="At most this many")] = None,
    url: UrlOption = None,
    token: TokenOption = None,
    data_dir: DataDir = None,
) -> None:
    """Send parked messages back to their queue with a fresh retry budget."""
    import asyncio

    amqp_url = None if url else _broker()
    if amqp_url:
        from guichet_common.dlq import UnknownQueue, replay

        try:
            moved = asyncio.run(replay(amqp_url, queue, limit=limit))
        except UnknownQueue as exc:
            raise fail(str(exc)) from exc
    else:
        params = {"limit": limit} if limit is not None else {}
        path = f"/api/ops/dlq/{queue}/replay"
        moved = _ops_call("POST", path, data_dir, url, token, params)["replayed"]
    typer.echo(f"replayed {moved} message(s) to {queue}")


def _consumer_queues() -> list[str]:
    from guichet.services import SERVICES

    return [spec.name for entry in SERVICES for spec in entry.definition().queue_specs()]


@outbox_app.command("status")
def outbox_status_command(
    url: UrlOption = None, token: TokenOption = None, data_dir: DataDir = None
) -> None:
    """Pending rows, oldest pending, published in the last hour, failing, per service:
    from GUICHET_DATABASE_URL directly, else from the running Guichet."""
    import asyncio

    database_url = None if url else os.environ.get("GUICHET_DATABASE_URL")
    if database_url:
        statuses = asyncio.run(_outbox_statuses(database_url))
    else:
        statuses = _ops_call("GET", "/api/ops/outbox", data_dir, url, token)
    for s in statuses:
        typer.echo(
            f"{s['service']:<10} pending={s['pending']} oldest={s['oldest_pending_at'] or '-'} "
            f"published_1h={s['published_last_hour']} failing={s['failing']} "
            f"set_aside={s['set_aside']}"
            + (f" last_error={s['last_error']}" if s["last_error"] else "")
        )
        for row in s["set_aside_rows"]:
            typer.echo(
                f"  set aside {row['set_aside_at']}  {row['id']}  {row['routing_key']}  "
                f"{row['subject'] or '-'}  after {row['attempts']} attempts: {row['last_error']}"
            )
    if any(s["set_aside"] for s in statuses):
        typer.echo("send them again, once the cause is fixed: guichet outbox resend <service>")


@outbox_app.command("resend")
def outbox_resend_command(
    service: Annotated[str, typer.Argument(help="The service whose rows were set aside")],
    event_id: Annotated[
        list[str] | None, typer.Option("--event-id", help="Only this row (repeatable)")
    ] = None,
    url: UrlOption = None,
    token: TokenOption = None,
    data_dir: DataDir = None,
) -> None:
    """Send the outbox rows set aside after the bus refused them again, with fresh attempts:
    in GUICHET_DATABASE_URL directly, else through the running Guichet."""
    import asyncio

    database_url = None if url else os.environ.get("GUICHET_DATABASE_URL")
    if database_url:
        count = asyncio.run(_resend(database_url, service, event_id))
    else:
        params = {"event_id": event_id} if event_id else {}
        path = f"/api/ops/outbox/{service}/resend"
        count = _ops_call("POST", path, data_dir, url, token, params)["resent"]
    typer.echo(f"{service}: {count} row(s) back to the relay")


async def _outbox_statuses(database_url: str) -> list[dict[str, Any]]:
    import json
    from dataclasses import asdict

    from guichet.services import SERVICES
    from guichet_common.db import make_engine, make_session_factory, schema_metadata, unit_of_work
    from guichet_common.outbox import outbox_status
    from guichet_common.settings import asyncpg_url
    from guichet_common.tables import define_plumbing_tables

    engine = make_engine(asyncpg_url(database_url), pool_size=1)
    statuses = []
    try:
        async with unit_of_work(make_session_factory(engine)) as session:
            for entry in SERVICES:
                tables = define_plumbing_tables(schema_metadata(entry.name))
                status = await outbox_status(session, tables)
                statuses.append(json.loads(json.dumps(asdict(status), default=str)))
    finally:
        await engine.dispose()
    return statuses


async def _resend(database_url: str, name: str, event_ids: list[str] | None) -> int:
    from uuid import UUID

    from guichet.services import service
    from guichet_common.db import make_engine, make_session_factory, schema_metadata, unit_of_work
    from guichet_common.outbox import resend_set_aside
    from guichet_common.settings import asyncpg_url
    from guichet_common.tables import define_plumbing_tables

    try:
        service(name)
    except KeyError as exc:
        raise fail(str(exc.args[0])) from exc
    try:
        ids = [UUID(value) for value in event_ids] if event_ids else None
    except ValueError as exc:
        raise fail(f"--event-id: {exc}") from exc
    engine = make_engine(asyncpg_url(database_url), pool_size=1)
    try:
        async with unit_of_work(make_session_factory(engine)) as session:
            return await resend_set_aside(
                session, define_plumbing_tables(schema_metadata(name)), ids
            )
    finally:
        await engine.dispose()


@imaging_app.command("republish")
def imaging_republish_command(
    url: UrlOption = None, token: TokenOption = None, data_dir: DataDir = None
) -> None:
    """Send every site, room and host again as events, with their versions, for a consumer
    that came later (ticketing's read model): in GUICHET_DATABASE_URL directly, else
    through the running Guichet. Consumers keep the highest version: running it twice
    changes nothing for them."""
    import asyncio

    database_url = None if url else os.environ.get("GUICHET_DATABASE_URL")
    if database_url:
        count = asyncio.run(_republish_park(database_url))
    else:
        count = _ops_call("POST", "/api/imaging/republish", data_dir, url, token)["events"]
    typer.echo(f"imaging: {count} event(s) of the park sent again")


async def _republish_park(database_url: str) -> int:
    from guichet_common.db import make_engine, make_session_factory, unit_of_work
    from guichet_common.settings import asyncpg_url
    from imaging.transfer.service import republish_park

    engine = make_engine(asyncpg_url(database_url), pool_size=1)
    try:
        async with unit_of_work(make_session_factory(engine)) as session:
            return await republish_park(session)
    finally:
        await engine.dispose()


@app.command()
def demo(url: UrlOption = None, token: TokenOption = None, data_dir: DataDir = None) -> None:
    """Load a small, believable park through the HTTP API, as a client would: collèges of
    the Loiret (zone B) and a lycée (zone C), rooms, naming policies, a few hundred hosts
    and their inventories. Running it again changes nothing."""
    from guichet import demo as demo_data

    directory = local.data_dir(data_dir)
    admin_token = token or mint_token(
        local.jwt_secret(directory),
        subject="guichet-demo",
        roles=[Role.ADMIN.value],
        ttl=timedelta(minutes=30),
        issuer=local.jwt_issuer(),
    )
    try:
        base = local.running_url(directory, url)
        summary = demo_data.load(base, admin_token)
    except (local.LocalError, demo_data.DemoError) as exc:
        raise fail(str(exc)) from exc
    for line in summary:
        typer.echo(line)


@app.command()
def contracts(
    check: Annotated[bool, typer.Option(help="Fail if the committed files differ")] = False,
) -> None:
    """Write (or --check) services/<svc>/openapi.json and asyncapi.yaml from the code."""
    from guichet.services import SERVICES
    from guichet_common.contracts import asyncapi_yaml, openapi_json

    drift = []
    for entry in SERVICES:
        generated = {
            "openapi.json": openapi_json(entry.create_app()),
            "asyncapi.yaml": asyncapi_yaml(entry.definition()),
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
            "contract drift (run ./scripts/guichet contracts and commit):\n  " + "\n  ".join(drift),
            err=True,
        )
        raise typer.Exit(1)
    typer.echo("contracts up to date" if check else "contracts written")
