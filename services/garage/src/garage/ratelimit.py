"""Per-client rate limit of the public endpoints (moving window, in process memory).

Each API replica counts on its own: with N replicas a client gets at most N times the limit,
which is enough against a scripted form flood.

A client's recent hits are kept in a deque: `limit` hits in any `window` seconds, exactly,
at constant work per hit and no background thread (the `limits` memory storage restarts a
timer thread every 10 ms, which a busy server pays for on every request). Clients idle for
a whole window are dropped as windows pass, so memory follows the clients of the last
window only.
"""

from __future__ import annotations

import ipaddress
import math
import time
from collections import deque
from collections.abc import Callable

from fastapi import Request
from limits import parse


class PublicRateLimiter:
    def __init__(self, rule: str, clock: Callable[[], float] = time.monotonic) -> None:
        item = parse(rule)  # "5/minute", "20 per hour"…
        if item.amount < 1:
            raise ValueError(f"rate limit {rule!r}: at least one hit per window")
        self.limit = item.amount
        self.window = float(item.get_expiry())
        self.clock = clock
        self._hits: dict[str, deque[float]] = {}  # client -> times of its hits in the window
        self._next_sweep = clock() + self.window

    def retry_after(self, key: str) -> int | None:
        """None when the hit is allowed (and counted), else seconds until one will be."""
        now = self.clock()
        if now >= self._next_sweep:
            self._sweep(now)
        hits = self._hits.get(key)
        if hits is None:
            hits = self._hits[key] = deque()
        while hits and hits[0] <= now - self.window:
            hits.popleft()
        if len(hits) >= self.limit:
            return max(1, math.ceil(hits[0] + self.window - now))  # the oldest leaves
        hits.append(now)
        return None

    def _sweep(self, now: float) -> None:
        self._hits = {k: v for k, v in self._hits.items() if v and v[-1] > now - self.window}
        self._next_sweep = now + self.window


def client_ip(request: Request) -> str:
    """The client's address; an IPv6 client is its /64 (one subscriber's network), or it
    would change address at each request. An IPv4 client on a dual-stack socket
    (`::ffff:a.b.c.d`) is its IPv4 address."""
    host = request.client.host if request.client else "unknown"
    if ":" not in host:
        return host
    try:
        address = ipaddress.IPv6Address(host)
    except ValueError:
        return host
    if address.ipv4_mapped is not None:
        return str(address.ipv4_mapped)
    return str(ipaddress.IPv6Network((address, 64), strict=False))
