"""Cache port: key/values with TTL, counters (rate limits), single-use values, pub/sub.

`memory://` keeps everything in the process (one server); `redis://` shares it across
any number of processes.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections import defaultdict
from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Protocol

from sealhub.platform import clock


class Cache(Protocol):
    async def get(self, key: str) -> bytes | None: ...

    async def set(
        self, key: str, value: bytes, ttl: float | None = None, *, only_if_absent: bool = False
    ) -> bool:
        """Store; with only_if_absent returns False (and stores nothing) if the key exists."""
        ...

    async def delete(self, key: str) -> bool: ...

    async def pop(self, key: str) -> bytes | None:
        """Atomically read and delete (single-use values)."""
        ...

    async def incr(self, key: str, ttl: float) -> int:
        """Increment a counter; the window of `ttl` seconds starts with its first increment."""
        ...

    async def ttl(self, key: str) -> float | None: ...

    async def publish(self, channel: str, message: bytes) -> None: ...

    def subscribe(self, channel: str) -> AsyncIterator[bytes]: ...

    async def close(self) -> None: ...


class MemoryCache:
    """One process only; expiry follows platform.clock so tests can advance time."""

    def __init__(self) -> None:
        self._data: dict[str, tuple[bytes, float | None]] = {}
        self._subs: dict[str, set[asyncio.Queue[bytes]]] = defaultdict(set)
        self._lock = asyncio.Lock()

    @staticmethod
    def _now() -> float:
        return clock.now().timestamp()

    def _live(self, key: str) -> tuple[bytes, float | None] | None:
        item = self._data.get(key)
        if item is None:
            return None
        if item[1] is not None and item[1] <= self._now():
            del self._data[key]
            return None
        return item

    async def get(self, key: str) -> bytes | None:
        item = self._live(key)
        return item[0] if item else None

    async def set(
        self, key: str, value: bytes, ttl: float | None = None, *, only_if_absent: bool = False
    ) -> bool:
        if only_if_absent and self._live(key) is not None:
            return False
        self._data[key] = (value, self._now() + ttl if ttl else None)
        return True

    async def delete(self, key: str) -> bool:
        return self._data.pop(key, None) is not None and True

    async def pop(self, key: str) -> bytes | None:
        item = self._live(key)
        if item is None:
            return None
        del self._data[key]
        return item[0]

    async def incr(self, key: str, ttl: float) -> int:
        item = self._live(key)
        if item is None:
            self._data[key] = (b"1", self._now() + ttl)
            return 1
        value = int(item[0]) + 1
        self._data[key] = (str(value).encode(), item[1])
        return value

    async def ttl(self, key: str) -> float | None:
        item = self._live(key)
        if item is None or item[1] is None:
            return None
        return max(0.0, item[1] - self._now())

    async def publish(self, channel: str, message: bytes) -> None:
        for queue in list(self._subs.get(channel, ())):
            queue.put_nowait(message)

    async def subscribe(self, channel: str) -> AsyncIterator[bytes]:
        queue: asyncio.Queue[bytes] = asyncio.Queue()
        self._subs[channel].add(queue)
        try:
            while True:
                yield await queue.get()
        finally:
            self._subs[channel].discard(queue)

    async def close(self) -> None:
        self._data.clear()


class RedisCache:
    """Redis-backed: every API process sees the same counters, codes and events."""

    def __init__(self, url: str, prefix: str = "sealhub:") -> None:
        from redis.asyncio import Redis

        self._redis: Redis = Redis.from_url(url, decode_responses=False)
        self._prefix = prefix

    def _k(self, key: str) -> str:
        return self._prefix + key

    async def get(self, key: str) -> bytes | None:
        value = await self._redis.get(self._k(key))
        return value if isinstance(value, bytes) else None

    async def set(
        self, key: str, value: bytes, ttl: float | None = None, *, only_if_absent: bool = False
    ) -> bool:
        px = int(ttl * 1000) if ttl else None
        ok = await self._redis.set(self._k(key), value, px=px, nx=only_if_absent)
        return bool(ok)

    async def delete(self, key: str) -> bool:
        return bool(await self._redis.delete(self._k(key)))

    async def pop(self, key: str) -> bytes | None:
        value = await self._redis.getdel(self._k(key))
        return value if isinstance(value, bytes) else None

    async def incr(self, key: str, ttl: float) -> int:
        async with self._redis.pipeline(transaction=True) as pipe:
            pipe.incr(self._k(key))
            pipe.pexpire(self._k(key), int(ttl * 1000), nx=True)
            count, _ = await pipe.execute()
        return int(count)

    async def ttl(self, key: str) -> float | None:
        ms = await self._redis.pttl(self._k(key))
        return None if ms is None or ms < 0 else ms / 1000

    async def publish(self, channel: str, message: bytes) -> None:
        await self._redis.publish(self._k(channel), message)

    async def subscribe(self, channel: str) -> AsyncIterator[bytes]:
        pubsub = self._redis.pubsub()
        await pubsub.subscribe(self._k(channel))
        try:
            while True:
                msg = await pubsub.get_message(ignore_subscribe_messages=True, timeout=1.0)
                if msg is not None and msg.get("type") == "message":
                    yield bytes(msg["data"])
        finally:
            with contextlib.suppress(Exception):
                await pubsub.unsubscribe()
                await pubsub.aclose()  # type: ignore[no-untyped-call]

    async def close(self) -> None:
        await self._redis.aclose()


def make_cache(url: str, prefix: str = "sealhub:") -> Cache:
    if url.startswith("memory://"):
        return MemoryCache()
    if url.startswith(("redis://", "rediss://", "unix://")):
        return RedisCache(url, prefix)
    raise ValueError(f"unsupported cache URL: {url}")


async def hit(cache: Cache, key: str, limit: int, window: timedelta) -> tuple[bool, float]:
    """Count one attempt in a fixed window; returns (allowed, retry_after_seconds)."""
    count = await cache.incr(f"rl:{key}", window.total_seconds())
    if count > limit:
        return False, (await cache.ttl(f"rl:{key}")) or window.total_seconds()
    return True, 0.0
