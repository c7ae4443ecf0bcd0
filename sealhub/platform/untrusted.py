"""Parse untrusted files in child processes with size, time and memory limits.

An uploaded spreadsheet, PDF or image can be built to inflate to gigabytes or to keep a
parser busy for minutes. Parsing one in a thread of the server would hold the GIL, the
memory and the default thread pool that other requests need. Here each parse runs in a
process of its own (forked from a small preloaded server, lowered priority, with
RLIMIT_AS and RLIMIT_CPU set), at most `workers` at a time, killed when its time is up.
A file that hits a limit fails fast with `upload.too_complex` (422).

The parser is a plain module-level function `fn(data, *args)` returning picklable data.
"""

from __future__ import annotations

import asyncio
import math
import multiprocessing
import os
import resource
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from multiprocessing.connection import Connection
from typing import Any, ClassVar, TypeVar

from sealhub.platform.errors import CATALOGUE, AppError, PayloadTooLarge

T = TypeVar("T")


class TooComplex(AppError):
    code = "upload.too_complex"
    status = 422
    zh = "文件过于复杂，已停止处理（{reason}）"
    en = "The file is too complex to process ({reason})"
    reasons: ClassVar[dict[str, tuple[str, str]]] = {
        "busy": ("解析队列已满", "the parsing queue is full"),
        "time": ("超过时间限制", "it took too long"),
        "memory": ("超过内存限制", "it needed too much memory"),
        "depth": ("嵌套过深", "it is nested too deeply"),
        "entries": ("压缩包内文件过多：{value}", "too many entries in the archive: {value}"),
        "inflated": ("解压后过大：{value} MiB", "too large when inflated: {value} MiB"),
    }


class Unreadable(AppError):
    code = "upload.unreadable"
    status = 422
    zh = "无法解析该文件"
    en = "The file could not be parsed"


@dataclass(frozen=True)
class Limits:
    """What one parse may use."""

    seconds: float = 10.0  # wall-clock time, waiting for a free worker included
    memory_mb: int = 512  # address space of the parser process (RLIMIT_AS)
    max_input_bytes: int = 20 * 1024 * 1024  # refused before any work starts


_limits = Limits()
_workers = 2
_waiters = ThreadPoolExecutor(max_workers=_workers, thread_name_prefix="untrusted")
_slots: asyncio.Semaphore | None = None
_slots_lock = threading.Lock()
_preload: list[str] = []


def preload(module: str) -> None:
    """Have the fork server import `module` once (a module whose parsers run here calls
    this at import): each child then starts in ~30 ms instead of importing it (~350 ms).
    Takes effect when the fork server starts, at the process's first parse."""
    if module not in _preload:
        _preload.append(module)
        multiprocessing.get_context("forkserver").set_forkserver_preload(list(_preload))


def configure(*, workers: int, seconds: float, memory_mb: int) -> None:
    """Set the pool size and default limits."""
    global _limits, _workers, _waiters, _slots
    _limits = Limits(seconds=seconds, memory_mb=memory_mb, max_input_bytes=_limits.max_input_bytes)
    if workers != _workers:
        old, _waiters = _waiters, ThreadPoolExecutor(workers, thread_name_prefix="untrusted")
        old.shutdown(wait=False)
        _workers, _slots = workers, None


def default_limits() -> Limits:
    return _limits


def _gate() -> asyncio.Semaphore:
    global _slots
    with _slots_lock:
        if _slots is None:
            _slots = asyncio.Semaphore(_workers)
        return _slots


async def run(fn: Callable[..., T], data: bytes, *args: Any, limits: Limits | None = None) -> T:
    """`fn(data, *args)` in a limited child process; its AppErrors come back as raised."""
    lim = limits or _limits
    if len(data) > lim.max_input_bytes:
        raise PayloadTooLarge(limit=lim.max_input_bytes)
    loop = asyncio.get_running_loop()
    deadline = loop.time() + lim.seconds
    gate = _gate()
    try:
        async with asyncio.timeout(lim.seconds):
            await gate.acquire()
    except TimeoutError:
        raise TooComplex(reason="busy") from None
    try:
        left = max(0.1, deadline - loop.time())
        outcome = await loop.run_in_executor(_waiters, _supervise, fn, data, args, lim, left)
    finally:
        gate.release()
    kind, value = outcome
    if kind == "ok":
        return value  # type: ignore[no-any-return]
    if kind == "app":
        code, params = value
        raise CATALOGUE[code](**params)
    if kind == "limit":
        raise TooComplex(reason=value)
    raise Unreadable()


def _supervise(
    fn: Callable[..., Any], data: bytes, args: tuple[Any, ...], lim: Limits, seconds: float
) -> tuple[str, Any]:
    """Blocking, in a waiter thread: start the child, wait for its answer or kill it."""
    ctx = multiprocessing.get_context("forkserver")
    receiver, sender = ctx.Pipe(duplex=False)
    proc = ctx.Process(
        target=_child, args=(sender, fn, data, args, lim.memory_mb, seconds), daemon=True
    )
    proc.start()
    sender.close()
    try:
        if not receiver.poll(seconds):
            return "limit", "time"
        try:
            answer: tuple[str, Any] = receiver.recv()
        except EOFError:
            # died without a word: killed by RLIMIT_CPU or the kernel, or out of memory
            proc.join(1)
            return "limit", "memory" if proc.exitcode != -24 else "time"
        return answer
    finally:
        if proc.is_alive():
            proc.kill()
        proc.join(2)
        receiver.close()


def _child(
    conn: Connection,
    fn: Callable[..., Any],
    data: bytes,
    args: tuple[Any, ...],
    memory_mb: int,
    seconds: float,
) -> None:
    try:
        os.nice(10)  # sign-ins and other requests come first
        if memory_mb:
            cap = memory_mb * 1024 * 1024
            resource.setrlimit(resource.RLIMIT_AS, (cap, cap))
        cpu = math.ceil(seconds) + 1
        resource.setrlimit(resource.RLIMIT_CPU, (cpu, cpu + 1))
        answer: tuple[str, Any] = ("ok", fn(data, *args))
    except AppError as exc:
        answer = ("app", (exc.code, exc.params))
    except MemoryError:
        answer = ("limit", "memory")
    except RecursionError:
        answer = ("limit", "depth")
    except Exception as exc:  # a hostile file may break a parser in any way
        answer = ("fail", type(exc).__name__)
    try:
        conn.send(answer)
    except MemoryError:
        conn.send(("limit", "memory"))
    finally:
        conn.close()
