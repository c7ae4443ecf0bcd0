"""The worker: outbox relay, job consumer and periodic tasks, started in one place.

`start(runtime)` runs inside the server (`SEALHUB_RUN_WORKER=true`, the default) or as its
own process (`sealhub worker`): the same code either way. Several workers may run at once:
outbox rows are claimed with SKIP LOCKED on PostgreSQL and MariaDB, jobs are shared through
the broker, and handlers and jobs are idempotent anyway.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Iterable
from dataclasses import dataclass, field

from sealhub import contexts
from sealhub.platform import clock, events, jobs
from sealhub.platform.db import appends
from sealhub.platform.runtime import Runtime

log = logging.getLogger("sealhub.worker")

PERIODIC_SECONDS = 60.0
_BOOTED = "worker.booted"


async def boot(runtime: Runtime, packages: Iterable[str] | None = None) -> None:
    """For every process that enqueues or runs jobs: load each context's tables, handlers
    and jobs (an import failure raises: a handler that did not load would lose its events),
    bind the jobs to the broker and start it. Runs once per runtime."""
    if runtime.extras.get(_BOOTED):
        return
    # every table, so foreign keys to another context's tables resolve in this process
    contexts.load_models(packages)
    contexts.load_handlers_and_jobs(packages)
    jobs.bind(runtime)
    await runtime.broker.startup()
    runtime.extras[_BOOTED] = True


async def relay_once(runtime: Runtime, limit: int = 100) -> int:
    """Deliver up to `limit` pending events; returns how many were delivered."""
    delivered = 0
    async with runtime.transaction() as session:
        batch = await events.pending(session, limit)
        for event in batch:
            handlers = events.handlers_for(event.name)
            if not handlers and not events.known(event.name):
                # no context declares it: a typo or a context that did not load; keep it
                # undelivered and visible rather than drop it
                event.attempts += 1
                event.last_error = f"undeclared event {event.name!r}"
                log.error("undeclared event left undelivered", extra={"event": event.name})
                continue
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


async def run_periodic(runtime: Runtime) -> None:
    """Every periodic task once; one failing does not stop the others."""
    for fn in jobs.periodic_tasks():
        try:
            await fn(runtime)
        except Exception:
            log.exception("periodic task failed", extra={"task": fn.__qualname__})


async def _relay_loop(runtime: Runtime, stop: asyncio.Event, interval: float) -> None:
    while not stop.is_set():
        try:
            count = await relay_once(runtime)
        except Exception:
            log.exception("outbox relay error")
            count = 0
        if count == 0:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), interval)


async def _periodic_loop(runtime: Runtime, stop: asyncio.Event, every: float) -> None:
    while not stop.is_set():
        await run_periodic(runtime)
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), every)


@dataclass
class Worker:
    """A running worker; `await worker.stop()` ends it."""

    runtime: Runtime
    stopping: asyncio.Event
    loops: list[asyncio.Task[None]] = field(default_factory=list)
    consumer: asyncio.Task[None] | None = None

    async def stop(self) -> None:
        self.stopping.set()
        for task in self.loops:
            await task
        await jobs.stop_consumer(self.consumer)


async def start(
    runtime: Runtime,
    *,
    packages: Iterable[str] | None = None,
    relay: bool = True,
    consume: bool = True,
    periodic: bool = True,
    interval: float = 0.5,
    periodic_seconds: float = PERIODIC_SECONDS,
) -> Worker:
    """Boot (see `boot`), then run the outbox relay, the job consumer (a remote broker's
    queue; the in-memory broker runs jobs where they are sent), the periodic tasks and the
    contexts' long-running loops (`@jobs.loop`)."""
    await boot(runtime, packages)
    worker = Worker(runtime, asyncio.Event())
    if relay:
        worker.loops.append(asyncio.create_task(_relay_loop(runtime, worker.stopping, interval)))
    if periodic:
        worker.loops.append(
            asyncio.create_task(_periodic_loop(runtime, worker.stopping, periodic_seconds))
        )
        worker.loops.extend(
            asyncio.create_task(fn(runtime, worker.stopping)) for fn in jobs.loops()
        )
    if consume:
        worker.consumer = jobs.start_consumer(runtime.broker)
    return worker
