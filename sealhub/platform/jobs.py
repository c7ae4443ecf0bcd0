"""Background jobs on taskiq: in-memory broker by default, Redis streams in production.

Jobs are named `<context>.<verb>`, declared with `@job(...)` in `<ctx>/jobs.py` (or
`tasks.py`), found from the contexts list and bound to the runtime's broker at start-up;
like event handlers they must be idempotent. Periodic tasks (`@periodic`) run about once a
minute in the worker.

    @job("platform.purge")
    async def purge(runtime: Runtime, older_than_hours: int = 24) -> int: ...

    await enqueue(runtime, "platform.purge", older_than_hours=48)
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable, Coroutine
from typing import Any

from taskiq import AsyncBroker, InMemoryBroker

from sealhub.platform.runtime import Runtime

log = logging.getLogger("sealhub.jobs")

JobFn = Callable[..., Awaitable[Any]]
PeriodicFn = Callable[[Runtime], Awaitable[None]]
LoopFn = Callable[[Runtime, asyncio.Event], Coroutine[Any, Any, None]]
_JOBS: dict[str, JobFn] = {}
_PERIODIC: list[PeriodicFn] = []
_LOOPS: list[LoopFn] = []


def job(name: str) -> Callable[[JobFn], JobFn]:
    """Declare a job; its first parameter is the Runtime, the rest are JSON-able kwargs."""

    def register(fn: JobFn) -> JobFn:
        _JOBS[name] = fn
        return fn

    return register


def periodic(fn: PeriodicFn) -> PeriodicFn:
    """Run `fn(runtime)` about once a minute in the worker (expiry sweeps...)."""
    if fn not in _PERIODIC:
        _PERIODIC.append(fn)
    return fn


def loop(fn: LoopFn) -> LoopFn:
    """Run `fn(runtime, stop)` for the worker's whole life (work that must not wait for the
    once-a-minute periodic tick, e.g. signing evidence tree heads within a second)."""
    if fn not in _LOOPS:
        _LOOPS.append(fn)
    return fn


def loops() -> list[LoopFn]:
    return list(_LOOPS)


def registered() -> dict[str, JobFn]:
    return dict(_JOBS)


def periodic_tasks() -> list[PeriodicFn]:
    return list(_PERIODIC)


def bind(runtime: Runtime) -> None:
    """Register every declared job with the runtime's broker, closing over the runtime."""
    for name, fn in _JOBS.items():

        def make(f: JobFn) -> Callable[..., Awaitable[Any]]:
            async def run(**kwargs: Any) -> Any:
                return await f(runtime, **kwargs)

            return run

        runtime.broker.register_task(make(fn), task_name=name)


async def enqueue(runtime: Runtime, name: str, **kwargs: Any) -> None:
    """Send a job; with the in-memory broker it runs in this process right away."""
    task = runtime.broker.find_task(name)
    if task is None:
        raise LookupError(f"unknown job {name}")
    await task.kiq(**kwargs)


def start_consumer(broker: AsyncBroker) -> asyncio.Task[None] | None:
    """Consume a remote queue in this process (the in-memory broker needs none)."""
    if isinstance(broker, InMemoryBroker):
        return None
    from taskiq.api import run_receiver_task

    return asyncio.create_task(run_receiver_task(broker, run_startup=False))


async def stop_consumer(task: asyncio.Task[None] | None, *, grace: float = 2.0) -> None:
    """Cancel the consumer and wait a bounded time: the Redis stream reader can swallow one
    cancellation inside its blocking read, so cancel again rather than wait forever."""
    if task is None:
        return
    for _ in range(5):
        task.cancel()
        done, _ = await asyncio.wait({task}, timeout=grace)
        if done:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                task.result()
            return
    log.warning("job consumer did not stop after 5 cancellations; leaving it")
