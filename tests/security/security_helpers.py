"""Test doubles shared by the security tests (a module name no other test directory uses)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from mpid.security.auth import AuthPolicy

__all__ = ["FAST_POLICY", "FakeClock", "FakeMonotonic"]

# Cheap argon2 so tests run fast; the production defaults are tested separately once.
FAST_POLICY = AuthPolicy(argon2_time_cost=1, argon2_memory_kib=8, argon2_parallelism=1)


class FakeClock:
    """A clock that only moves when told to (timezone-aware UTC)."""

    def __init__(self, start: datetime | None = None) -> None:
        self.now = start or datetime(2026, 1, 1, 12, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **kwargs: float) -> None:
        """Move forward by a timedelta given as keyword arguments."""
        self.now += timedelta(**kwargs)


class FakeMonotonic:
    """A monotonic seconds counter for the rate limiter."""

    def __init__(self) -> None:
        self.t = 1000.0

    def __call__(self) -> float:
        return self.t

    def advance(self, seconds: float) -> None:
        """Move forward by ``seconds``."""
        self.t += seconds
