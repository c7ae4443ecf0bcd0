"""Growing delays between attempts (sign-in, second factor), counted in the shared cache.

After `free` attempts in a window, each further attempt must wait a delay that doubles
(`first`, 2×, 4× … up to `longest`). There is no hard lock: the wait is always short
enough to name in `Retry-After`, and a success resets the count. Counting is one atomic
INCR (memory or Redis), so parallel attempts are never under-counted, and an attempt is
counted *before* the slow check runs, so a burst cannot slip guesses past the limit.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from sealhub.platform.cache import Cache
from sealhub.platform.errors import RateLimited


@dataclass(frozen=True)
class Backoff:
    """How one kind of attempt is throttled."""

    free: int  # attempts in the window with no delay
    first: float  # seconds: the first delay once throttled
    longest: float  # seconds: the delay never grows beyond this
    window: float = 3600.0  # seconds: the count is forgotten this long after it started

    def delay(self, attempt: int) -> float:
        """The wait imposed after the `attempt`-th attempt (1-based)."""
        over = attempt - self.free
        if over <= 0:
            return 0.0
        return float(min(self.longest, self.first * 2.0 ** min(over - 1, 40)))


def _retry(seconds: float | None) -> int:
    return max(1, math.ceil(seconds or 1))


async def admit(cache: Cache, key: str, policy: Backoff) -> int:
    """Count one attempt at `key` or raise RateLimited; returns the attempt's number."""
    wait_key = f"bo:{key}:wait"
    if await cache.get(wait_key) is not None:
        raise RateLimited(retry_after=_retry(await cache.ttl(wait_key)))
    # a ticket orders attempts that race past the check above: beyond the free ones, only
    # the attempt that sets the next wait goes on. Losers are refused without counting,
    # so a burst cannot push the delay to its longest at once.
    ticket = await cache.incr(f"bo:{key}:t", policy.window)
    if ticket > policy.free:
        done = await attempts(cache, key)
        delay = policy.delay(max(done, policy.free) + 1)
        if not await cache.set(wait_key, b"1", delay, only_if_absent=True):
            raise RateLimited(retry_after=_retry(await cache.ttl(wait_key)))
    return await cache.incr(f"bo:{key}:n", policy.window)


async def check(cache: Cache, key: str) -> None:
    """Raise RateLimited while `key` is waiting, without counting anything."""
    wait_key = f"bo:{key}:wait"
    if await cache.get(wait_key) is not None:
        raise RateLimited(retry_after=_retry(await cache.ttl(wait_key)))


async def fail(cache: Cache, key: str, policy: Backoff) -> int:
    """Count one failure at `key` (checked later with `check`); returns the count."""
    n = await cache.incr(f"bo:{key}:n", policy.window)
    delay = policy.delay(n)
    if delay > 0:
        await cache.set(f"bo:{key}:wait", b"1", delay)
    return n


async def attempts(cache: Cache, key: str) -> int:
    """Attempts counted at `key` in its current window."""
    raw = await cache.get(f"bo:{key}:n")
    return int(raw) if raw else 0


async def reset(cache: Cache, key: str) -> None:
    """A success: forget the count and any wait."""
    await cache.delete(f"bo:{key}:n")
    await cache.delete(f"bo:{key}:t")
    await cache.delete(f"bo:{key}:wait")
