"""Webhooks reach the Internet only, never our own network (SSRF).

A destination is refused when any address its host resolves to is not globally reachable
according to the IANA special-purpose address registries (below, as data), or is
multicast. IPv4 carried inside IPv6 (IPv4-mapped, 6to4, Teredo's server and client, the
NAT64 well-known prefix) is decoded and checked again; NAT64 itself is allowed, as
IPv6-only networks need it. The address checked is the one connected to: the webhook client dials it
(`Destination.pinned`, `notifier.pinned_http`), so a second, different DNS answer (rebinding) is
never used.
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from ipaddress import IPv4Address, IPv4Network, IPv6Address, IPv6Network

import httpx

from notifier.pinned_http import connecting_to

Address = IPv4Address | IPv6Address
# host, port -> the addresses it resolves to, as strings
Resolver = Callable[[str, int], Awaitable[list[str]]]


class UnsafeDestination(ValueError):
    pass


Network = IPv4Network | IPv6Network


def _registry(*entries: tuple[str, str]) -> tuple[tuple[Network, str], ...]:
    return tuple((ipaddress.ip_network(cidr), name) for cidr, name in entries)


# IANA IPv4 Special-Purpose Address Registry, "Globally Reachable: False" (and the
# deprecated 6to4 relay anycast), with the entries inside them that are reachable.
IPV4_NOT_GLOBAL = _registry(
    ("0.0.0.0/8", "this network"),
    ("10.0.0.0/8", "private use"),
    ("100.64.0.0/10", "shared address space (carrier-grade NAT)"),
    ("127.0.0.0/8", "loopback"),
    ("169.254.0.0/16", "link-local"),
    ("172.16.0.0/12", "private use"),
    ("192.0.0.0/24", "IETF protocol assignments"),
    ("192.0.2.0/24", "documentation"),
    ("192.88.99.0/24", "6to4 relay anycast (deprecated)"),
    ("192.168.0.0/16", "private use"),
    ("198.18.0.0/15", "benchmarking"),
    ("198.51.100.0/24", "documentation"),
    ("203.0.113.0/24", "documentation"),
    ("240.0.0.0/4", "reserved"),
)
IPV4_GLOBAL_EXCEPTIONS = _registry(("192.0.0.9/32", "PCP anycast"), ("192.0.0.10/32", "TURN"))
# IANA IPv6 Special-Purpose Address Registry, the same way. Outside 2000::/3 (global
# unicast) nothing is reachable but the NAT64 well-known prefix.
IPV6_GLOBAL_UNICAST = _registry(("2000::/3", "global unicast"))
IPV6_NOT_GLOBAL = _registry(
    ("2001::/23", "IETF protocol assignments"),
    ("2001:2::/48", "benchmarking"),
    ("2001:db8::/32", "documentation"),
    ("2001:10::/28", "ORCHID (deprecated)"),
    ("3fff::/20", "documentation"),
    ("5f00::/16", "segment routing (SRv6) SIDs"),
)
IPV6_GLOBAL_EXCEPTIONS = _registry(
    ("2001:1::1/128", "port control protocol anycast"),
    ("2001:1::2/128", "TURN"),
    ("2001:1::3/128", "DNS-SD service registration protocol anycast"),
    ("2001:3::/32", "AMT"),
    ("2001:4:112::/48", "AS112-v6"),
    ("2001:20::/28", "ORCHIDv2"),
    ("2001:30::/28", "drone remote ID protocol entity tags"),
)
NAT64_WELL_KNOWN = ipaddress.ip_network("64:ff9b::/96")
TEREDO = ipaddress.ip_network("2001::/32")


def _entry(address: Address, registry: tuple[tuple[Network, str], ...]) -> str | None:
    """The registry entry `address` falls in, as "name (network)"."""
    for network, name in registry:
        if address in network:
            return f"{name} ({network})"
    return None


def _embedded_ipv4(address: IPv6Address) -> list[IPv4Address]:
    """The IPv4 addresses an IPv6 address carries, if it is of a kind that does."""
    if address.ipv4_mapped is not None:
        return [address.ipv4_mapped]
    if address.sixtofour is not None:
        return [address.sixtofour]
    if address.teredo is not None:
        return list(address.teredo)  # the relay server and the client
    if address in NAT64_WELL_KNOWN:
        return [IPv4Address(int(address) & 0xFFFFFFFF)]
    return []


def refusal(address: Address) -> str | None:
    """Why a webhook must not be sent to `address` (the registry entry it falls in), or
    None if it is globally reachable."""
    if address.is_multicast:
        return "multicast"
    if isinstance(address, IPv4Address):
        if _entry(address, IPV4_GLOBAL_EXCEPTIONS):
            return None
        return _entry(address, IPV4_NOT_GLOBAL)
    for inner in _embedded_ipv4(address):
        if (reason := refusal(inner)) is not None:
            return f"carries IPv4 {inner}, {reason}"
    if address.ipv4_mapped is not None or address in NAT64_WELL_KNOWN or address in TEREDO:
        return None  # judged by the IPv4 address it carries
    if address.sixtofour is not None:
        return None
    if not _entry(address, IPV6_GLOBAL_UNICAST):
        return "outside global unicast (2000::/3)"
    if _entry(address, IPV6_GLOBAL_EXCEPTIONS):
        return None
    return _entry(address, IPV6_NOT_GLOBAL)


async def system_resolver(host: str, port: int) -> list[str]:
    infos = await asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return list(dict.fromkeys(str(sockaddr[0]) for *_, sockaddr in infos))


@dataclass(frozen=True)
class Destination:
    """A checked webhook URL and the address to connect to (pinned)."""

    url: httpx.URL
    address: str | None  # None: private addresses allowed, left to the system to resolve

    @contextmanager
    def pinned(self) -> Iterator[None]:
        """Within this block, a webhook client connects to `url`'s host at `address`."""
        with connecting_to(self.url.host, self.address):
            yield


async def check_destination(
    url: str, *, allow_private: bool, resolver: Resolver = system_resolver
) -> Destination:
    """The destination to call, resolved once and checked: UnsafeDestination for a bad
    scheme, an unresolvable host, or (unless private addresses are allowed) any address
    that is not globally reachable."""
    try:
        parsed = httpx.URL(url)
    except httpx.InvalidURL as exc:
        raise UnsafeDestination(f"invalid URL: {exc}") from exc
    if parsed.scheme not in {"http", "https"} or not parsed.host:
        raise UnsafeDestination("the URL must be http:// or https:// with a host")
    if allow_private:
        return Destination(parsed, None)
    port = parsed.port or (443 if parsed.scheme == "https" else 80)
    try:
        found = [ipaddress.ip_address(parsed.host)]
    except ValueError:
        try:
            found = [ipaddress.ip_address(a) for a in await resolver(parsed.host, port)]
        except OSError as exc:
            raise UnsafeDestination(f"cannot resolve {parsed.host}: {exc}") from exc
    if not found:
        raise UnsafeDestination(f"{parsed.host} resolves to no address")
    for address in found:
        if (reason := refusal(address)) is not None:
            raise UnsafeDestination(
                f"{parsed.host} resolves to {address}: {reason}, not globally reachable"
            )
    return Destination(parsed, str(found[0]))
