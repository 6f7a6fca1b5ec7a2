from __future__ import annotations

from datetime import UTC, datetime

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

from guichet_common.testing.server import free_port
from notifier.mail_transport import PermanentFailure, SmtpTransport, TemporaryFailure
from notifier.sending.email import OutgoingEmail, wire_email

from .conftest import RecordingHandler, SmtpServer


def test_smtp_url_forms() -> None:
    plain = SmtpTransport("smtp://mail.example:2525")
    assert (plain._host, plain._port, plain._implicit_tls, plain._starttls) == (
        "mail.example",
        2525,
        False,
        False,
    )
    starttls = SmtpTransport("smtp://u%40x:p%3Ass@mail.example:587?starttls=true")
    assert (starttls._port, starttls._starttls) == (587, True)
    assert (starttls._username, starttls._password) == ("u@x", "p:ss")
    implicit = SmtpTransport("smtps://mail.example")
    assert (implicit._port, implicit._implicit_tls) == (465, True)
    with pytest.raises(ValueError, match="GUICHET_SMTP_URL"):
        SmtpTransport("http://mail.example")


def mail() -> OutgoingEmail:
    return OutgoingEmail(
        sender="Garage <garage@lycee.example>",
        to="client@example.org",
        subject="Essai",
        text="Bonjour",
        html="<p>Bonjour</p>",
        message_id="<essai@lycee.example>",
        date=datetime.now(UTC),
    )


@pytest.mark.integration
async def test_one_connection_serves_every_message(smtp_server: SmtpServer) -> None:
    transport = SmtpTransport(smtp_server.url, timeout=5)
    try:
        await transport.send(wire_email(mail()))
        connection = transport._client
        await transport.send(wire_email(mail()))
        assert transport._client is connection
    finally:
        await transport.close()
    assert len(smtp_server.handler.messages) == 2


@pytest.mark.integration
async def test_nothing_listening_is_a_temporary_failure() -> None:
    transport = SmtpTransport(f"smtp://127.0.0.1:{free_port()}")
    with pytest.raises(TemporaryFailure, match="SMTP connection"):
        await transport.send(wire_email(mail()))
    await transport.close()


def accept_garage(
    _server: object, _session: object, _envelope: object, _mechanism: str, data: object
) -> AuthResult:
    def text(value: str | bytes) -> str:
        return value.decode() if isinstance(value, bytes) else value

    ok = isinstance(data, LoginPassword) and (text(data.login), text(data.password)) == (
        "garage",
        "s3cret",
    )
    return AuthResult(success=ok)


@pytest.mark.integration
@pytest.mark.filterwarnings("ignore::UserWarning:aiosmtpd.smtp")
async def test_credentials_in_the_url_authenticate() -> None:
    handler = RecordingHandler()
    port = free_port()
    controller = Controller(
        handler,
        hostname="127.0.0.1",
        port=port,
        authenticator=accept_garage,
        auth_required=True,
        auth_require_tls=False,  # loopback test server; production URLs use TLS
    )
    controller.start()
    try:
        good = SmtpTransport(f"smtp://garage:s3cret@127.0.0.1:{port}", timeout=5)
        await good.send(wire_email(mail()))
        await good.close()
        anonymous = SmtpTransport(f"smtp://127.0.0.1:{port}", timeout=5)
        with pytest.raises(PermanentFailure, match="530"):
            await anonymous.send(wire_email(mail()))
        await anonymous.close()
    finally:
        controller.stop()
    assert len(handler.messages) == 1
