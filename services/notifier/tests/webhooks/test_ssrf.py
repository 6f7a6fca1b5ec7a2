"""The SSRF guard: what it refuses (every address the IANA special-purpose registries mark
as not globally reachable, IPv4 decoded out of IPv6), and that the address it checked is
the one connected to, whatever DNS answers next."""

from __future__ import annotations

import asyncio
import socket
import ssl
from datetime import UTC, datetime
from ipaddress import ip_address
from pathlib import Path
from typing import Any

import httpx
import pytest

from guichet_common.db import SessionFactory
from guichet_common.testing.tls import make_pki
from notifier.deliveries.models import Channel, DeliveryState
from notifier.pinned_http import pinned_client
from notifier.sending.webhook import WebhookResponse, post_webhook
from notifier.settings import NotifierSettings
from notifier.webhooks.signing import new_secret
from notifier.webhooks.ssrf import Destination, refusal

from ..conftest import (
    STATUS_CHANGED,
    STATUS_CHANGED_DATA,
    Api,
    HttpReceiver,
    MakeSender,
    envelope,
    ingest,
    stored_deliveries,
)

REFUSED = [
    "100.64.0.1",  # shared address space (carrier-grade NAT)
    "10.1.2.3", "127.0.0.1", "169.254.169.254", "172.16.0.1", "192.168.1.1", "0.0.0.0",
    "192.0.0.8", "192.0.2.1", "198.18.0.1", "198.51.100.7", "203.0.113.9", "240.0.0.1",
    "255.255.255.255", "224.0.0.1", "192.88.99.1",
    "::1", "::", "fe80::1", "fc00::1", "fd12:3456::1", "2001:db8::1", "2001:2::1",
    "3fff::1", "5f00::1", "ff02::1", "64:ff9b:1::1",
    "::ffff:127.0.0.1", "::ffff:100.64.0.1",  # IPv4-mapped
    "2002:7f00:1::1", "2002:a00:1::",  # 6to4 of 127.0.0.1, of 10.0.0.1
    "64:ff9b::7f00:1", "64:ff9b::6440:1",  # NAT64 of 127.0.0.1, of 100.64.0.1
    "2001:0:4136:e378:8000:63bf:3fff:fdd2",  # Teredo: its client is 192.0.2.45
]  # fmt: skip
ALLOWED = [
    "93.184.216.34", "1.1.1.1", "192.0.0.9", "2606:4700:4700::1111", "2a01:cb00::1",
    "64:ff9b::5db8:d822",  # NAT64 of 93.184.216.34: IPv6-only networks need it
    "2002:5db8:d822::1",  # 6to4 of a public address
    "::ffff:93.184.216.34",
]  # fmt: skip


@pytest.mark.parametrize("address", REFUSED)
def test_addresses_not_globally_reachable_are_refused(address: str) -> None:
    assert refusal(ip_address(address)) is not None


@pytest.mark.parametrize("address", ALLOWED)
def test_globally_reachable_addresses_are_allowed(address: str) -> None:
    assert refusal(ip_address(address)) is None


@pytest.mark.integration
async def test_a_dns_rebinding_never_reaches_the_address_it_turns_to(
    api: Api,
    session_factory: SessionFactory,
    settings: NotifierSettings,
    receiver: HttpReceiver,
    sender_factory: MakeSender,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """`rebind.test` answers a public address first, then 127.0.0.1 (where a receiver
    listens). The sender checks the first answer and connects to it: the second is never
    asked for, and nothing reaches the local receiver."""
    real_getaddrinfo = socket.getaddrinfo
    answers: list[str] = []

    def rebinding(host: Any, port: Any, *args: Any, **kwargs: Any) -> Any:
        if (host.decode() if isinstance(host, bytes) else host) != "rebind.test":
            return real_getaddrinfo(host, port, *args, **kwargs)
        answers.append("93.184.216.34" if not answers else "127.0.0.1")
        return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (answers[-1], int(port)))]

    monkeypatch.setattr(socket, "getaddrinfo", rebinding)
    url = f"http://rebind.test:{receiver.port}/hooks"
    await api.create_endpoint(url)  # allowed while private addresses are (the fixture's)
    await ingest(session_factory, settings, envelope(STATUS_CHANGED, STATUS_CHANGED_DATA))
    sender = sender_factory(webhooks_allow_private=False, webhook_timeout_seconds=1.0)
    answers.clear()
    await sender.run_once()
    assert receiver.requests == [], "the rebound address was called"
    assert answers == ["93.184.216.34"], "resolved once, the checked answer used"
    [delivery] = await stored_deliveries(session_factory, Channel.WEBHOOK)
    assert delivery.state == DeliveryState.RETRYING


@pytest.mark.integration
async def test_a_pinned_https_call_checks_the_certificate_of_its_own_name(
    tmp_path: Path,
) -> None:
    """Dialled at the checked address, TLS names the host (SNI) and verifies the
    certificate against it; and a kept-alive connection made for one name is not reused
    for another name pinned to the same address."""
    pki = make_pki(tmp_path, dns_names=("hooks.test",))
    server_tls = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    server_tls.load_cert_chain(pki.server_cert, pki.server_key)
    seen_hosts: list[str] = []

    async def keep_alive(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while head := (await reader.readuntil(b"\r\n\r\n")).decode("latin-1"):
                lines = head.split("\r\n")[1:]
                headers = dict(line.lower().split(":", 1) for line in lines if ":" in line)
                seen_hosts.append(headers["host"].strip())
                await reader.readexactly(int(headers.get("content-length", "0")))
                writer.write(b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nok")
                await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError, ssl.SSLError):
            writer.close()

    server = await asyncio.start_server(keep_alive, "127.0.0.1", 0, ssl=server_tls)
    port = server.sockets[0].getsockname()[1]
    client = pinned_client(
        timeout=5, max_connections=4, verify=ssl.create_default_context(cadata=pki.ca_pem.decode())
    )
    try:

        async def call(name: str) -> WebhookResponse:
            return await post_webhook(
                client,
                Destination(httpx.URL(f"https://{name}:{port}/hooks"), "127.0.0.1"),
                message_id="msg_1",
                timestamp=datetime.now(UTC),
                body="{}",
                secrets_in_use=[new_secret()],
            )

        assert (await call("hooks.test")).status_code == 200
        assert seen_hosts == [f"hooks.test:{port}"]
        wrong = await call("other.test")  # same address; the certificate does not name it
        assert wrong.status_code is None, "sent over a connection verified for another name"
        assert "certificate" in wrong.body.lower(), wrong.body
        assert seen_hosts == [f"hooks.test:{port}"]
    finally:
        await client.aclose()
        server.close()
        await server.wait_closed()


@pytest.mark.integration
async def test_the_webhook_client_connects_to_no_unchecked_host(receiver: HttpReceiver) -> None:
    """Outside `Destination.pinned` (a code path that forgot the check), nothing goes out."""
    client = pinned_client(timeout=5, max_connections=1)
    try:
        with pytest.raises(httpx.ConnectError, match="not checked"):
            await client.post(f"http://127.0.0.1:{receiver.port}/hooks", content=b"{}")
    finally:
        await client.aclose()
    assert receiver.requests == []
