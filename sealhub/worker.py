"""The outbox relay: delivers domain events to handlers, then onto the cache bus.

Runs inside the server by default (`SEALHUB_RUN_WORKER=true`) or as its own process
(`sealhub worker`). Several relays may run at once: rows are claimed with
SKIP LOCKED on PostgreSQL and MariaDB, and handlers are idempotent anyway.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable

from sealhub.platform import clock, events, jobs
from sealhub.platform.db import appends
from sealhub.platform.runtime import Runtime

log = logging.getLogger("sealhub.worker")


async def relay_once(runtime: Runtime, limit: int = 100) -> int:
    """Deliver up to `limit` pending events; returns how many were delivered."""
    delivered = 0
    async with runtime.transaction() as session:
        batch = await events.pending(session, limit)
        for event in batch:
            handlers = events.handlers_for(event.name)
            try:
                if handlers:  # a savepoint only where a handler can fail (two round trips)
                    async with appends.savepoint(session):
                        for handler in handlers:
                            await handler(session, event)
            except Exception as exc:
                event.attempts += 1
                event.last_error = repr(exc)[:2000]
                log.exception("event handler failed", extra={"event": event.name})
                continue
            event.delivered_at = clock.now()
            event.attempts += 1
            delivered += 1
    for event in batch:
        if event.delivered_at is not None:
            with contextlib.suppress(Exception):
                await runtime.cache.publish(events.BUS_CHANNEL, events.bus_message(event))
    return delivered


PERIODIC_SECONDS = 60.0
_PERIODIC: list[Callable[[Runtime], Awaitable[None]]] = []


def periodic(fn: Callable[[Runtime], Awaitable[None]]) -> Callable[[Runtime], Awaitable[None]]:
    """Run `fn(runtime)` about once a minute beside the relay (expiry sweeps...)."""
    _PERIODIC.append(fn)
    return fn


async def run_periodic(runtime: Runtime) -> None:
    for fn in list(_PERIODIC):
        try:
            await fn(runtime)
        except Exception:
            log.exception("periodic task failed", extra={"task": fn.__qualname__})


async def run_relay(runtime: Runtime, stop: asyncio.Event, interval: float = 0.5) -> None:
    loop = asyncio.get_running_loop()
    next_periodic = loop.time()
    while not stop.is_set():
        if loop.time() >= next_periodic:
            next_periodic = loop.time() + PERIODIC_SECONDS
            await run_periodic(runtime)
        try:
            count = await relay_once(runtime)
        except Exception:
            log.exception("outbox relay error")
            count = 0
        if count == 0:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), interval)


@periodic
async def _purge(runtime: Runtime) -> None:
    # hourly is plenty; enqueued so a dedicated worker process takes it in production
    if int(clock.now().timestamp()) // 60 % 60 == 0:
        await jobs.enqueue(runtime, "platform.purge")
