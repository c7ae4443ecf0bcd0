"""Password rules and Argon2id hashing on an executor of its own.

Hashing is deliberately slow (~150 ms, 64 MiB). It runs on a small thread pool that
nothing else uses, so file parsing or storage work queued on `asyncio.to_thread` never
makes a sign-in wait, and a storm of sign-ins can occupy at most `workers` cores.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import re
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from sealhub.identity import errors
from sealhub.platform.errors import RateLimited

T = TypeVar("T")


def _lower_priority() -> None:
    # Linux niceness is per thread: the event loop's thread keeps the CPU it needs to
    # answer everyone else while a storm of sign-ins is being hashed
    with contextlib.suppress(OSError, AttributeError):
        os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), 10)


def _pool(workers: int) -> ThreadPoolExecutor:
    return ThreadPoolExecutor(
        max_workers=workers, thread_name_prefix="argon2", initializer=_lower_priority
    )


def auto_workers() -> int:
    """Half the CPUs, at least one: hashing never takes every core from the event loop."""
    return max(1, (os.cpu_count() or 2) // 2)


_hasher = PasswordHasher()
_workers = auto_workers()
_executor = _pool(_workers)
_dummy_hash: str | None = None
_pending = 0
QUEUE_PER_WORKER = 32  # beyond this a sign-in is refused at once rather than queued for seconds


def configure_hashing(time_cost: int, memory_kib: int, workers: int = 0) -> None:
    """Set Argon2id cost and the hashing pool (0 workers: auto) once per process."""
    global _hasher, _executor, _dummy_hash, _workers
    _workers = workers if workers > 0 else auto_workers()
    _hasher = PasswordHasher(time_cost=time_cost, memory_cost=memory_kib)
    old, _executor = _executor, _pool(_workers)
    old.shutdown(wait=False)
    _dummy_hash = None


def check_password(password: str) -> None:
    if (
        len(password) < 8
        or len(password) > 128
        or not re.search(r"[A-Za-z]", password)
        or not re.search(r"\d", password)
    ):
        raise errors.WeakPassword()


def hash_password(password: str) -> str:
    """Blocking: check the rules and hash (CLI, or inside an executor)."""
    check_password(password)
    return _hasher.hash(password)


def verify_password(hashed: str, password: str) -> bool:
    """Blocking: whether `password` matches `hashed`."""
    try:
        return _hasher.verify(hashed, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def dummy_hash() -> str:
    """A hash of nothing anyone knows, verified for unknown phones so timing matches."""
    global _dummy_hash
    if _dummy_hash is None:
        _dummy_hash = _hasher.hash("dummy-password-1")
    return _dummy_hash


async def _on_pool(fn: Callable[..., T], *args: Any) -> T:
    global _pending
    if _pending >= QUEUE_PER_WORKER * _workers:
        raise RateLimited(retry_after=1)
    _pending += 1
    try:
        return await asyncio.get_running_loop().run_in_executor(_executor, fn, *args)
    finally:
        _pending -= 1


async def hash_async(password: str) -> str:
    """Check the rules and hash on the hashing pool."""
    check_password(password)
    return await _on_pool(_hasher.hash, password)


async def verify_async(hashed: str | None, password: str) -> bool:
    """Verify on the hashing pool; `None` (unknown account) spends the same time and fails."""
    target = hashed if hashed is not None else await _on_pool(dummy_hash)
    ok = await _on_pool(verify_password, target, password)
    return ok and hashed is not None
