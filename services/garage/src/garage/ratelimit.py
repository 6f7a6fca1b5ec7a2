"""Per-IP rate limit of the public endpoints (sliding window counter, in process memory).

Each API replica counts on its own: with N replicas a client gets at most N times the limit,
which is enough against a scripted form flood.

A sliding window counter keeps two counts per client (this window and the one before) and
weighs the previous one by how much of it the sliding window still covers: constant work
per hit, no background thread (the `limits` memory storage restarts a timer thread every
10 ms, which a busy server pays for on every request).
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable

from fastapi import Request
from limits import parse


class PublicRateLimiter:
    def __init__(self, rule: str, clock: Callable[[], float] = time.monotonic) -> None:
        item = parse(rule)  # "5/minute", "20 per hour"…
        self.limit = item.amount
        self.window = float(item.get_expiry())
        self.clock = clock
        # client -> (window index, hits in the window before it, hits in it)
        self._counts: dict[str, tuple[int, int, int]] = {}
        self._swept = 0

    def retry_after(self, key: str) -> int | None:
        """None when the hit is allowed (and counted), else seconds until one will be."""
        now = self.clock()
        index = int(now // self.window)
        if index > self._swept + 1:
            self._sweep(index)
        window_index, previous, current = self._counts.get(key, (index, 0, 0))
        if window_index == index - 1:
            previous, current = current, 0
        elif window_index != index:
            previous, current = 0, 0
        elapsed = now - index * self.window
        overlap = 1.0 - elapsed / self.window  # share of the previous window still covered
        if previous * overlap + current + 1 <= self.limit:
            self._counts[key] = (index, previous, current + 1)
            return None
        if current + 1 > self.limit or previous == 0:
            wait = self.window - elapsed  # this window alone is full: until it ends
        else:
            # until the previous window's weight has dropped enough for one more hit
            wait = self.window * (1.0 - (self.limit - 1 - current) / previous) - elapsed
        return max(1, math.ceil(wait))

    def _sweep(self, index: int) -> None:
        """Forget clients not seen in the last two windows (they count as zero)."""
        self._counts = {k: v for k, v in self._counts.items() if v[0] >= index - 1}
        self._swept = index


def client_ip(request: Request) -> str:
    return request.client.host if request.client else "unknown"
