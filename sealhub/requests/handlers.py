"""Outbox handlers and the periodic sweep of the requests context (all idempotent)."""

from __future__ import annotations

import uuid

from sqlalchemy.ext.asyncio import AsyncSession

from sealhub.platform import clock, events, jobs
from sealhub.platform.events import OutboxEvent
from sealhub.platform.runtime import Runtime
from sealhub.requests import service


@events.on("seals.returned")
async def complete_on_return(session: AsyncSession, event: OutboxEvent) -> None:
    """A physical seal of an application came back: complete it when nothing else is owed."""
    request_id = event.payload.get("request_id")
    org_id = event.payload.get("org_id") or (str(event.org_id) if event.org_id else None)
    if not request_id or not org_id:
        return
    await service.seal_returned(session, uuid.UUID(str(org_id)), uuid.UUID(str(request_id)))


@jobs.periodic
async def periodic(runtime: Runtime) -> None:
    """Expire applications whose validity window has closed (run about once a minute)."""
    while True:
        async with runtime.transaction() as session:
            done = await service.expire_due(session, clock.now(), limit=200)
        if done < 200:
            return
