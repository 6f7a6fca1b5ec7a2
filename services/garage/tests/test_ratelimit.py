from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import pytest

from garage.ratelimit import PublicRateLimiter, client_ip


class Clock:
    def __init__(self, now: float) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


def test_limit_per_client_in_any_window_then_retry_after() -> None:
    clock = Clock(1000.0)
    limiter = PublicRateLimiter("3/minute", clock)
    for at in (1000.0, 1010.0, 1020.0):
        clock.now = at
        assert limiter.retry_after("a") is None
    clock.now = 1030.0
    assert limiter.retry_after("a") == 30  # the hit at 1000 leaves the window at 1060
    assert limiter.retry_after("b") is None  # another client has its own count
    clock.now = 1060.0  # waiting as told is enough
    assert limiter.retry_after("a") is None
    clock.now = 1065.0  # …for one hit: the next leaves at 1070
    assert limiter.retry_after("a") == 5


def test_a_burst_at_a_window_edge_gets_no_more_than_the_limit() -> None:
    clock = Clock(59.0)
    limiter = PublicRateLimiter("5/minute", clock)
    allowed = 0
    for tenth in range(600):  # one hit every 100 ms for a minute
        clock.now = 59.0 + tenth / 10
        allowed += limiter.retry_after("a") is None
    assert allowed == 5


def test_refusals_are_not_counted_and_idle_clients_are_forgotten() -> None:
    clock = Clock(0.0)
    limiter = PublicRateLimiter("1/second", clock)
    assert limiter.retry_after("a") is None
    for _ in range(5):
        assert limiter.retry_after("a") == 1
    clock.now = 1.5
    assert limiter.retry_after("b") is None  # sweeps: "a" was idle for a whole window
    assert "a" not in limiter._hits
    assert limiter.retry_after("a") is None


@pytest.mark.parametrize(
    ("host", "key"),
    [
        ("203.0.113.7", "203.0.113.7"),
        ("2001:db8:1:2:aaaa::1", "2001:db8:1:2::/64"),
        ("2001:db8:1:2:bbbb::9", "2001:db8:1:2::/64"),
        ("::ffff:203.0.113.7", "203.0.113.7"),  # IPv4 on a dual-stack socket
        ("::ffff:198.51.100.1", "198.51.100.1"),
    ],
)
def test_ipv6_clients_count_by_their_network(host: str, key: str) -> None:
    request: Any = SimpleNamespace(client=SimpleNamespace(host=host))
    assert client_ip(request) == key


def test_a_limit_of_zero_is_a_configuration_error() -> None:
    with pytest.raises(ValueError, match="at least one"):
        PublicRateLimiter("0/minute")
