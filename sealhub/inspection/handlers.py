"""Inspection listens for photos of stamped pages (idempotent handlers) and sweeps the
waiting ones into jobs."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from sealhub.inspection import service
from sealhub.platform import events, jobs
from sealhub.platform.runtime import Runtime
from sealhub.requests.events import PhotoUploaded


@events.on(PhotoUploaded)
async def photo_uploaded(session: AsyncSession, event: PhotoUploaded) -> None:
    """An applicant uploaded a photo of stamped pages: it waits for inspection."""
    await service.queue_photo(session, event.org_id, event.request_id, event.photo_id)


@jobs.periodic
async def sweep(runtime: Runtime) -> None:
    """Send a job for each photo waiting for inspection (about once a minute)."""
    async with runtime.transaction() as session:
        waiting = await service.waiting(session, limit=20)
    for args in waiting:
        await jobs.enqueue(runtime, "inspection.inspect_photo", **args)
