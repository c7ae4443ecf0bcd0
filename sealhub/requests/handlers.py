"""Outbox handlers and the periodic sweep of the requests context (all idempotent)."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from sealhub.platform import clock, events, jobs
from sealhub.platform.runtime import Runtime
from sealhub.requests import service
from sealhub.seals.events import Returned


@events.on(Returned)
async def complete_on_return(session: AsyncSession, event: Returned) -> None:
    """A physical seal of an application came back: complete it when nothing else is owed."""
    if event.request_id is not None:
        await service.seal_returned(session, event.org_id, event.request_id)


@jobs.periodic
async def periodic(runtime: Runtime) -> None:
    """Expire applications whose validity window has closed (run about once a minute)."""
    while True:
        async with runtime.transaction() as session:
            done = await service.expire_due(session, clock.now(), limit=200)
        if done < 200:
            return
