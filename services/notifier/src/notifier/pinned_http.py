"""An HTTP client that connects only where it was told to, for the request at hand.

Webhooks go to URLs that administrators type; `notifier.webhooks.ssrf` decides which
address a host may be reached at, and this client dials exactly that address, never a
second DNS answer, and nothing it was not told about.
"""

from __future__ import annotations

import ssl
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar

import httpcore
import httpx

# The address each host name may be connected to, for the request this task is making.
_checked_addresses: ContextVar[Mapping[str, str | None]] = ContextVar("checked_addresses")


class PinnedBackend(httpcore.AsyncNetworkBackend):
    """Connects a host name to the address it was checked to, never to a second DNS
    answer, and refuses a host that was not checked. The URL keeps the name, so TLS
    verifies the certificate against it (SNI), `Host` names it, and the connection pool
    keys connections by it: a connection made for one name is never reused for another
    that happens to share the address."""

    def __init__(self) -> None:
        self._network = httpcore.AnyIOBackend()

    async def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[httpcore.SOCKET_OPTION] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        checked = _checked_addresses.get({})
        if host not in checked:
            raise httpcore.ConnectError(f"{host} was not checked before connecting")
        return await self._network.connect_tcp(
            checked[host] or host, port, timeout, local_address, socket_options
        )

    async def connect_unix_socket(
        self,
        path: str,
        timeout: float | None = None,
        socket_options: Iterable[httpcore.SOCKET_OPTION] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        raise httpcore.ConnectError("no Unix sockets: only checked TCP destinations")

    async def sleep(self, seconds: float) -> None:
        await self._network.sleep(seconds)


def pinned_client(
    *, timeout: float, max_connections: int, verify: ssl.SSLContext | bool = True
) -> httpx.AsyncClient:
    """Connects only within `connecting_to`, follows no redirect, ignores proxy
    variables (a proxy would do its own resolving)."""
    ssl_context = httpx.create_ssl_context(verify=verify)  # the CA bundle read once
    limits = httpx.Limits(max_connections=max_connections)  # httpx's keep-alive defaults
    transport = httpx.AsyncHTTPTransport(verify=ssl_context, limits=limits)
    # httpx takes no network backend yet (encode/httpx#3749): its pool is replaced by
    # the same httpcore pool with ours.
    transport._pool = httpcore.AsyncConnectionPool(
        ssl_context=ssl_context,
        max_connections=limits.max_connections,
        max_keepalive_connections=limits.max_keepalive_connections,
        keepalive_expiry=limits.keepalive_expiry,
        network_backend=PinnedBackend(),
    )
    return httpx.AsyncClient(timeout=timeout, follow_redirects=False, transport=transport)


@contextmanager
def connecting_to(host: str, address: str | None) -> Iterator[None]:
    """Within this block, the task's pinned client connects `host` to `address` (None:
    the system resolves it) and nothing else."""
    token = _checked_addresses.set({host: address})
    try:
        yield
    finally:
        _checked_addresses.reset(token)
