"""Refuse webhook URLs that resolve to addresses inside our network (SSRF)."""

from __future__ import annotations

import asyncio
import ipaddress
import socket

import httpx


class UnsafeDestination(ValueError):
    pass


def _refusal(address: ipaddress.IPv4Address | ipaddress.IPv6Address) -> str | None:
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return _refusal(address.ipv4_mapped)
    for label, flag in (
        ("loopback", address.is_loopback),
        ("private", address.is_private),
        ("link-local", address.is_link_local),
        ("multicast", address.is_multicast),
        ("reserved", address.is_reserved),
        ("unspecified", address.is_unspecified),
    ):
        if flag:
            return label
    return None


async def check_destination(url: str, *, allow_private: bool) -> None:
    """Raises UnsafeDestination for a bad scheme, an unresolvable host, or (unless allowed)
    any resolved address that is private, loopback, link-local, multicast or reserved."""
    try:
        parsed = httpx.URL(url)
    except httpx.InvalidURL as exc:
        raise UnsafeDestination(f"invalid URL: {exc}") from exc
    if parsed.scheme not in {"http", "https"} or not parsed.host:
        raise UnsafeDestination("the URL must be http:// or https:// with a host")
    if allow_private:
        return
    port = parsed.port or (443 if parsed.scheme == "https" else 80)
    try:
        infos = await asyncio.get_running_loop().getaddrinfo(
            parsed.host, port, type=socket.SOCK_STREAM
        )
    except OSError as exc:
        raise UnsafeDestination(f"cannot resolve {parsed.host}: {exc}") from exc
    for *_, sockaddr in infos:
        address = ipaddress.ip_address(sockaddr[0])
        if (reason := _refusal(address)) is not None:
            raise UnsafeDestination(f"{parsed.host} resolves to a {reason} address ({address})")
