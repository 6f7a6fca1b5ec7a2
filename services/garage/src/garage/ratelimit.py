"""Per-IP rate limit of the public endpoints (moving window, in process memory).

Each API replica counts on its own: with N replicas a client gets at most N times the limit,
which is enough against a scripted form flood."""

from __future__ import annotations

import math
import time

from fastapi import Request
from limits import parse
from limits.storage import MemoryStorage
from limits.strategies import MovingWindowRateLimiter


class PublicRateLimiter:
    def __init__(self, rule: str) -> None:
        self.item = parse(rule)
        self.limiter = MovingWindowRateLimiter(MemoryStorage())

    def retry_after(self, key: str) -> int | None:
        """None when the hit is allowed, else seconds until the next one will be."""
        if self.limiter.hit(self.item, key):
            return None
        reset = self.limiter.get_window_stats(self.item, key).reset_time
        return max(1, math.ceil(reset - time.time()))


def client_ip(request: Request) -> str:
    return request.client.host if request.client else "unknown"
