"""Password rules and Argon2id hashing on an executor of its own.

Hashing is deliberately slow (~150 ms, 64 MiB). It runs on a small thread pool that
nothing else uses, so file parsing or storage work queued on `asyncio.to_thread` never
makes a sign-in wait, and a storm of sign-ins can occupy at most `workers` cores.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from sealhub.identity import errors
from sealhub.platform.errors import RateLimited

T = TypeVar("T")

_hasher = PasswordHasher()
_executor = ThreadPoolExecutor(max_workers=2, thread_name_prefix="argon2")
_dummy_hash: str | None = None
_workers = 2
_pending = 0
QUEUE_PER_WORKER = 32  # beyond this a sign-in is refused at once rather than queued for seconds


def configure_hashing(time_cost: int, memory_kib: int, workers: int = 2) -> None:
    """Set Argon2id cost and the hashing pool once per process; old hashes keep verifying."""
    global _hasher, _executor, _dummy_hash, _workers
    _workers = max(1, workers)
    _hasher = PasswordHasher(time_cost=time_cost, memory_cost=memory_kib)
    old, _executor = (
        _executor,
        ThreadPoolExecutor(max_workers=max(1, workers), thread_name_prefix="argon2"),
    )
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
