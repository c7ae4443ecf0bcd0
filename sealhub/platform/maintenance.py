"""Housekeeping jobs that know no context: old idempotency replies and delivered events."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import delete

from sealhub.platform import clock
from sealhub.platform.events import OutboxEvent
from sealhub.platform.idempotency import IdempotentReply
from sealhub.platform.jobs import enqueue, job, periodic
from sealhub.platform.runtime import Runtime


@job("platform.purge")
async def purge(runtime: Runtime, replies_hours: int = 24, events_days: int = 30) -> int:
    """Forget idempotency replies and delivered events past their usefulness."""
    now = clock.now()
    async with runtime.transaction() as session:
        a = await session.execute(
            delete(IdempotentReply).where(
                IdempotentReply.created_at < now - timedelta(hours=replies_hours)
            )
        )
        b = await session.execute(
            delete(OutboxEvent).where(
                OutboxEvent.delivered_at.is_not(None),
                OutboxEvent.delivered_at < now - timedelta(days=events_days),
            )
        )
    return int(getattr(a, "rowcount", 0) or 0) + int(getattr(b, "rowcount", 0) or 0)


@periodic
async def purge_hourly(runtime: Runtime) -> None:
    """Enqueue the purge once an hour, so a dedicated worker process takes it in production."""
    if int(clock.now().timestamp()) // 60 % 60 == 0:
        await enqueue(runtime, "platform.purge")
