"""The token-bucket rate limiter, driven by a fake monotonic clock."""

from __future__ import annotations

import threading

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from security_helpers import FakeMonotonic

from mpid.security.ratelimit import RateLimiter, RateLimitError


def test_burst_then_refusal_then_refill() -> None:
    t = FakeMonotonic()
    limiter = RateLimiter(capacity=5, refill_per_second=1, clock=t)
    assert all(limiter.check("10.0.0.1").allowed for _ in range(5))
    refused = limiter.check("10.0.0.1")
    assert not refused.allowed
    assert refused.retry_after == pytest.approx(1.0)
    t.advance(0.5)
    assert not limiter.check("10.0.0.1").allowed
    t.advance(0.5)
    assert limiter.check("10.0.0.1").allowed
    assert not limiter.check("10.0.0.1").allowed


def test_keys_are_independent() -> None:
    t = FakeMonotonic()
    limiter = RateLimiter(2, 0.1, clock=t)
    limiter.hit("a")
    limiter.hit("a")
    with pytest.raises(RateLimitError) as info:
        limiter.hit("a")
    assert info.value.retry_after == pytest.approx(10.0)
    assert "retry after 10 s" in str(info.value)
    limiter.hit("b")


def test_bucket_never_exceeds_capacity_after_long_idle() -> None:
    t = FakeMonotonic()
    limiter = RateLimiter(3, 1, clock=t)
    limiter.hit("k")
    t.advance(10_000)
    assert sum(limiter.check("k").allowed for _ in range(10)) == 3


def test_per_minute_and_reset() -> None:
    t = FakeMonotonic()
    limiter = RateLimiter.per_minute(10, burst=2, clock=t)
    limiter.hit("x")
    limiter.hit("x")
    assert not limiter.check("x").allowed
    limiter.reset("x")
    assert limiter.check("x").allowed
    t.advance(6)  # 10 a minute: one token every 6 s
    assert limiter.check("x").allowed


def test_memory_is_bounded() -> None:
    t = FakeMonotonic()
    limiter = RateLimiter(5, 1, clock=t, max_keys=100)
    for i in range(1000):
        limiter.check(f"ip{i}")
    assert len(limiter) <= 101
    t.advance(10)  # everyone refilled: the next touch evicts idle full buckets
    limiter.check("new")
    assert len(limiter) == 1


def test_invalid_settings() -> None:
    with pytest.raises(ValueError):
        RateLimiter(0, 1)
    with pytest.raises(ValueError):
        RateLimiter(1, 0)


def test_thread_safety_allows_exactly_capacity() -> None:
    t = FakeMonotonic()
    limiter = RateLimiter(100, 0.001, clock=t)
    allowed = []

    def worker() -> None:
        for _ in range(50):
            allowed.append(limiter.check("shared").allowed)

    threads = [threading.Thread(target=worker) for _ in range(8)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    assert sum(allowed) == 100


@settings(deadline=None)
@given(st.lists(st.tuples(st.floats(0, 5), st.floats(0.5, 3)), max_size=60))
def test_never_more_than_capacity_plus_refill(steps: list[tuple[float, float]]) -> None:
    t = FakeMonotonic()
    limiter = RateLimiter(4, 2, clock=t)
    granted, elapsed = 0.0, 0.0
    for wait, cost in steps:
        t.advance(wait)
        elapsed += wait
        if limiter.check("k", cost).allowed:
            granted += cost
    assert granted <= 4 + 2 * elapsed + 1e-9


def test_access_limits_for_login_and_portal() -> None:
    from mpid.security.ratelimit import AccessLimits

    t = FakeMonotonic()
    limits = AccessLimits.defaults(clock=t)
    for i in range(5):
        limits.check_login(f"10.0.0.{i}", "Alice")
    with pytest.raises(RateLimitError):  # one user name from many addresses
        limits.check_login("10.0.0.99", " alice ")
    limits.check_login("10.0.0.99", "bob")
    for i in range(5):
        limits.check_portal("10.1.1.1" if i % 2 else "10.1.1.2", "az-0001")
    with pytest.raises(RateLimitError) as info:  # one case code: 10 tries an hour after a burst of 5
        limits.check_portal("10.1.1.3", "AZ-0001 ")
    assert info.value.retry_after == pytest.approx(360.0)
    limits.check_portal("10.1.1.3", "AZ-0002")
    for i in range(10):
        limits.check_portal("10.9.9.9", f"AZ-1{i}")
    with pytest.raises(RateLimitError):  # one address trying many case codes
        limits.check_portal("10.9.9.9", "AZ-2000")
