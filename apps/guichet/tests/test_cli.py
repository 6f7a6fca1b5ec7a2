"""`guichet migrate`, `outbox status` and `token` as an operator runs them."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from pathlib import Path

import aio_pika
import jwt
import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from guichet.services import SERVICES
from guichet_common.db import make_session_factory, unit_of_work
from guichet_common.events import Event
from ticketing.events import outbox


class ProbeSentV1(Event):
    event_type = "ticketing.probe.sent.v1"
    n: int


def guichet(*args: str, **env: str) -> subprocess.CompletedProcess[str]:
    base = {k: v for k, v in os.environ.items() if not k.startswith("GUICHET_")}
    return subprocess.run(
        [sys.executable, "-m", "guichet", *args],
        capture_output=True,
        text=True,
        timeout=120,
        env={**base, **env},
    )


@pytest.mark.integration
async def test_migrate_then_outbox_status(test_database_url: str, amqp_url: str) -> None:
    migrated = await asyncio.to_thread(
        guichet, "migrate", GUICHET_DATABASE_URL=test_database_url, GUICHET_AMQP_URL=amqp_url
    )
    assert migrated.returncode == 0, migrated.stderr
    assert "migrated: ticketing, garage, imaging, notifier" in migrated.stdout
    expected_queues = [
        f"{entry.name}.{subscription.group}"
        for entry in SERVICES
        for subscription in entry.definition().subscriptions
    ]
    assert f"declared queues: {', '.join(expected_queues) or 'none'}" in migrated.stdout
    connection = await aio_pika.connect(amqp_url)
    async with connection:
        for queue in expected_queues:
            channel = await connection.channel()
            await channel.declare_queue(queue, passive=True)  # raises if missing

    def pending(output: str) -> dict[str, int]:
        return {
            line.split()[0]: int(line.split("pending=")[1].split()[0])
            for line in output.splitlines()
            if "pending=" in line
        }

    async def status() -> dict[str, int]:
        result = await asyncio.to_thread(
            guichet, "outbox", "status", GUICHET_DATABASE_URL=test_database_url
        )
        assert result.returncode == 0, result.stderr
        return pending(result.stdout)

    before = await status()  # other tests of the session may have left rows
    assert set(before) == {"ticketing", "garage", "imaging", "notifier"}
    engine = create_async_engine(test_database_url)
    try:
        async with unit_of_work(make_session_factory(engine)) as session:
            probes = [await outbox.publish(session, ProbeSentV1(n=n)) for n in range(3)]
        after = await status()
        assert after["ticketing"] == before["ticketing"] + 3
        assert after["garage"] == before["garage"]

        # One the bus refused after every attempt, sent again straight in the database.
        async with engine.begin() as conn:
            await conn.execute(
                text(
                    "UPDATE ticketing.outbox SET set_aside_at = now(), attempts = 5, "
                    "last_error = 'refused by the broker' WHERE id = :id"
                ),
                {"id": probes[0].id},
            )
        assert (await status())["ticketing"] == before["ticketing"] + 2
        resent = await asyncio.to_thread(
            guichet,
            "outbox",
            "resend",
            "ticketing",
            "--event-id",
            str(probes[0].id),
            GUICHET_DATABASE_URL=test_database_url,
        )
        assert resent.returncode == 0, resent.stderr
        assert "ticketing: 1 row(s) back to the relay" in resent.stdout
        assert (await status())["ticketing"] == before["ticketing"] + 3
    finally:
        await engine.dispose()


def test_token_is_signed_with_the_data_dir_secret(tmp_path: Path) -> None:
    result = guichet(
        "token",
        "--role",
        "technician",
        "--role",
        "supervisor",
        "--sub",
        "jdupont",
        "--ttl",
        "5",
        "--data-dir",
        str(tmp_path),
    )
    assert result.returncode == 0, result.stderr
    token = result.stdout.strip().splitlines()[-1]
    secret = (tmp_path / "secrets" / "jwt_secret").read_text().strip()
    assert oct((tmp_path / "secrets" / "jwt_secret").stat().st_mode & 0o777) == "0o600"
    claims = jwt.decode(token, secret, algorithms=["HS256"], issuer="guichet")
    assert claims["sub"] == "jdupont"
    assert claims["roles"] == ["technician", "supervisor"]
    assert claims["exp"] - claims["iat"] == 300
    assert "sites" not in claims and "email" not in claims  # every site; no address


def test_token_carries_the_sites_covered_and_the_email(tmp_path: Path) -> None:
    result = guichet(
        "token",
        "--role",
        "requester",
        "--sub",
        "mdurand",
        "--email",
        "m.durand@example.fr",
        "--site",
        "ORL-JDA",
        "--site",
        "CHY-PC",
        "--data-dir",
        str(tmp_path),
    )
    assert result.returncode == 0, result.stderr
    secret = (tmp_path / "secrets" / "jwt_secret").read_text().strip()
    token = result.stdout.strip().splitlines()[-1]
    claims = jwt.decode(token, secret, algorithms=["HS256"], issuer="guichet")
    assert claims["sites"] == ["ORL-JDA", "CHY-PC"]
    assert claims["email"] == "m.durand@example.fr"

    other = guichet("token", "--role", "admin", "--sub", "x", "--data-dir", str(tmp_path / "b"))
    with pytest.raises(jwt.InvalidSignatureError):
        jwt.decode(other.stdout.strip(), secret, algorithms=["HS256"], issuer="guichet")

    configured = guichet(
        "token",
        "--role",
        "ops",
        "--sub",
        "x",
        "--data-dir",
        str(tmp_path),
        GUICHET_JWT_SECRET="configured-secret-configured-secret",
    )
    jwt.decode(
        configured.stdout.strip(),
        "configured-secret-configured-secret",
        algorithms=["HS256"],
        issuer="guichet",
    )

    unknown = guichet("token", "--role", "root", "--sub", "x", "--data-dir", str(tmp_path))
    assert unknown.returncode != 0 and "root" in unknown.stderr


def test_links_follow_the_port_and_listening_everywhere_is_said(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from guichet.cli import _public_base_url

    monkeypatch.delenv("GUICHET_PUBLIC_BASE_URL", raising=False)
    assert _public_base_url("127.0.0.1", 9000) == "http://127.0.0.1:9000"
    assert capsys.readouterr().err == ""
    assert _public_base_url("0.0.0.0", 9000) == "http://127.0.0.1:9000"
    assert "set GUICHET_PUBLIC_BASE_URL" in capsys.readouterr().err
    monkeypatch.setenv("GUICHET_PUBLIC_BASE_URL", "https://garage.lycee.example")
    assert _public_base_url("0.0.0.0", 9000) == "https://garage.lycee.example"
    assert capsys.readouterr().err == ""


def test_forwarded_headers_are_believed_from_configured_proxies_only() -> None:
    from guichet.cli import forwarded_headers

    assert forwarded_headers("") == {"proxy_headers": False, "forwarded_allow_ips": []}
    assert forwarded_headers("10.0.0.2, 172.18.0.0/16") == {
        "proxy_headers": True,
        "forwarded_allow_ips": ["10.0.0.2", "172.18.0.0/16"],
    }


def test_up_says_which_garage_identity_settings_are_unset(monkeypatch: pytest.MonkeyPatch) -> None:
    from guichet.cli import _garage_identity_warning

    for name in ("NAME", "ADDRESS", "SIRET", "VAT_NUMBER"):
        monkeypatch.delenv(f"GARAGE_SELLER_{name}", raising=False)
    monkeypatch.setenv("GARAGE_SELLER_NAME", "Lycée des métiers — garage pédagogique")
    warning = _garage_identity_warning()
    assert warning is not None
    assert "GARAGE_SELLER_ADDRESS, GARAGE_SELLER_SIRET, GARAGE_SELLER_VAT_NUMBER" in warning
    assert "GARAGE_SELLER_NAME" not in warning
    monkeypatch.setenv("GARAGE_VAT_LIABLE", "false")
    monkeypatch.setenv("GARAGE_SELLER_ADDRESS", "12 rue des Ateliers, 45000 Orléans")
    monkeypatch.setenv("GARAGE_SELLER_SIRET", "19450001200019")
    assert _garage_identity_warning() is None  # not liable: no VAT number needed
