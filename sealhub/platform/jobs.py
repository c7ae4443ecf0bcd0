"""Background jobs on taskiq: in-memory broker by default, Redis streams in production.

Jobs are named `<context>.<verb>`, registered with `@job(...)` at import time and bound
to the runtime's broker at start-up; like event handlers they must be idempotent.

    @job("platform.purge")
    async def purge(runtime: Runtime, older_than_hours: int = 24) -> int: ...

    await enqueue(runtime, "platform.purge", older_than_hours=48)
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

from taskiq import AsyncBroker, InMemoryBroker

if TYPE_CHECKING:
    from sealhub.platform.runtime import Runtime

log = logging.getLogger("sealhub.jobs")

JobFn = Callable[..., Awaitable[Any]]
_JOBS: dict[str, JobFn] = {}


def job(name: str) -> Callable[[JobFn], JobFn]:
    """Declare a job; its first parameter is the Runtime, the rest are JSON-able kwargs."""

    def register(fn: JobFn) -> JobFn:
        _JOBS[name] = fn
        return fn

    return register


def registered() -> dict[str, JobFn]:
    return dict(_JOBS)


def make_broker(url: str, queue: str = "sealhub") -> AsyncBroker:
    if url.startswith("memory://"):
        return InMemoryBroker(max_stored_results=1000, await_inplace=False)
    if url.startswith(("redis://", "rediss://")):
        from taskiq_redis import RedisStreamBroker

        broker: AsyncBroker = RedisStreamBroker(url=url, queue_name=queue)
        return broker
    raise ValueError(f"unsupported jobs URL: {url}")


def bind(broker: AsyncBroker, runtime: Runtime) -> None:
    """Register every declared job with the broker, closing over the runtime."""
    for name, fn in _JOBS.items():

        def make(f: JobFn) -> Callable[..., Awaitable[Any]]:
            async def run(**kwargs: Any) -> Any:
                return await f(runtime, **kwargs)

            return run

        broker.register_task(make(fn), task_name=name)


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
