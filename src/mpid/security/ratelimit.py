"""A small in-process token-bucket rate limiter keyed by client (IP, user name, case code).

Used on login and on the family portal so that passwords and case secrets cannot be
guessed at speed; one limiter per process is enough for a single-machine deployment.
"""

from __future__ import annotations

import logging
import math
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass

__all__ = ["AccessLimits", "RateDecision", "RateLimitError", "RateLimiter"]

log = logging.getLogger(__name__)


class RateLimitError(Exception):
    """Too many requests from one client; ``retry_after`` says how many seconds to wait."""

    def __init__(self, key: str, retry_after: float) -> None:
        self.key = key
        self.retry_after = retry_after
        super().__init__(f"too many requests; retry after {math.ceil(retry_after)} s")


@dataclass(frozen=True)
class RateDecision:
    """Whether a request may go ahead, and otherwise how long until it could."""

    allowed: bool
    retry_after: float
    remaining: float


class RateLimiter:
    """Token buckets: each key holds up to ``capacity`` tokens, refilled at ``refill_per_second``."""

    def __init__(
        self,
        capacity: float,
        refill_per_second: float,
        *,
        clock: Callable[[], float] = time.monotonic,
        max_keys: int = 100_000,
    ) -> None:
        if capacity <= 0 or refill_per_second <= 0:
            raise ValueError("capacity and refill rate must be positive")
        self.capacity = float(capacity)
        self.refill_per_second = float(refill_per_second)
        self._clock = clock
        self._max_keys = max_keys
        self._buckets: OrderedDict[str, tuple[float, float]] = OrderedDict()  # key → (tokens, at)
        self._lock = threading.Lock()

    @classmethod
    def per_minute(cls, count: float, *, burst: float | None = None,
                   clock: Callable[[], float] = time.monotonic) -> RateLimiter:
        """A limiter allowing ``count`` requests a minute on average, bursts of ``burst`` (default count)."""
        return cls(burst or count, count / 60.0, clock=clock)

    def check(self, key: str, cost: float = 1.0) -> RateDecision:
        """Take ``cost`` tokens from ``key``'s bucket if it has them; say whether the request may proceed."""
        with self._lock:
            now = self._clock()
            tokens, at = self._buckets.pop(key, (self.capacity, now))
            tokens = min(self.capacity, tokens + max(0.0, now - at) * self.refill_per_second)
            if tokens >= cost:
                tokens -= cost
                decision = RateDecision(True, 0.0, tokens)
            else:
                decision = RateDecision(False, (cost - tokens) / self.refill_per_second, tokens)
            self._buckets[key] = (tokens, now)
            self._evict(now)
        if not decision.allowed:
            log.info("rate limit hit for %s", key)
        return decision

    def hit(self, key: str, cost: float = 1.0) -> None:
        """Like :meth:`check` but raise :class:`RateLimitError` when the request must wait."""
        decision = self.check(key, cost)
        if not decision.allowed:
            raise RateLimitError(key, decision.retry_after)

    def reset(self, key: str) -> None:
        """Forget a key (e.g. after a successful login)."""
        with self._lock:
            self._buckets.pop(key, None)

    def __len__(self) -> int:
        return len(self._buckets)

    def _evict(self, now: float) -> None:
        # Oldest-touched first: drop full buckets freely, and anything beyond max_keys.
        full_after = self.capacity / self.refill_per_second
        while self._buckets:
            key, (_tokens, at) = next(iter(self._buckets.items()))
            if len(self._buckets) > self._max_keys or now - at >= full_after:
                del self._buckets[key]
            else:
                break


@dataclass
class AccessLimits:
    """The limiters one app process keeps: login by client and by user name, the portal by client and case."""

    login_by_client: RateLimiter
    login_by_username: RateLimiter
    portal_by_client: RateLimiter
    portal_by_case: RateLimiter

    @classmethod
    def defaults(cls, clock: Callable[[], float] = time.monotonic) -> AccessLimits:
        """Limits that let people work and make guessing slow (a case secret: 10 tries an hour)."""
        return cls(
            login_by_client=RateLimiter(10, 20 / 60, clock=clock),
            login_by_username=RateLimiter(5, 10 / 60, clock=clock),
            portal_by_client=RateLimiter(10, 30 / 60, clock=clock),
            portal_by_case=RateLimiter(5, 10 / 3600, clock=clock),
        )

    def check_login(self, client: str, username: str) -> None:
        """Raise :class:`RateLimitError` if this client or this user name is trying too fast."""
        self.login_by_client.hit(f"ip:{client}")
        self.login_by_username.hit(f"user:{username.strip().casefold()}")

    def check_portal(self, client: str, case_code: str) -> None:
        """Raise :class:`RateLimitError` if this client or this case code is queried too fast."""
        self.portal_by_client.hit(f"ip:{client}")
        self.portal_by_case.hit(f"case:{case_code.strip().upper()}")
