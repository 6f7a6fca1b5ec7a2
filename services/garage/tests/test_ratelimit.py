from __future__ import annotations

from garage.ratelimit import PublicRateLimiter


class Clock:
    def __init__(self, now: float) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


def test_limit_per_client_then_retry_after() -> None:
    clock = Clock(600.0)  # the start of a minute window
    limiter = PublicRateLimiter("3/minute", clock)
    assert [limiter.retry_after("a") for _ in range(3)] == [None, None, None]
    assert limiter.retry_after("a") == 60  # this window is full until it ends
    assert limiter.retry_after("b") is None  # another client has its own count


def test_the_previous_window_weighs_by_its_overlap() -> None:
    clock = Clock(600.0)
    limiter = PublicRateLimiter("4/minute", clock)
    for _ in range(4):
        assert limiter.retry_after("a") is None
    clock.now = 660.0 + 15  # next window, a quarter in: the previous one weighs 3/4 * 4 = 3
    assert limiter.retry_after("a") is None  # 3 + 1 <= 4
    # 3 + 1 + 1 > 4: wait until the previous window weighs at most 2 (half of it gone)
    assert limiter.retry_after("a") == 15
    clock.now = 660.0 + 30
    assert limiter.retry_after("a") is None


def test_refusals_are_not_counted_and_old_clients_are_forgotten() -> None:
    clock = Clock(0.0)
    limiter = PublicRateLimiter("1/second", clock)
    assert limiter.retry_after("a") is None
    for _ in range(5):
        assert limiter.retry_after("a") == 1
    clock.now = 2.0  # two windows on: "a" counts for nothing
    assert limiter.retry_after("b") is None
    assert "a" not in limiter._counts
    assert limiter.retry_after("a") is None
