"""The inspection job: one photo of stamped pages (triggered by an upload or a stamp)."""

from __future__ import annotations

import uuid

from sealhub.inspection import service
from sealhub.platform.jobs import job
from sealhub.platform.runtime import Runtime


@job("inspection.inspect_photo")
async def inspect_photo(
    runtime: Runtime, org_id: str, request_id: str, photo_id: str
) -> dict[str, str]:
    """Inspect one photo in its own transaction (idempotent: a rerun replaces the result)."""
    async with runtime.transaction() as session:
        out = await service.inspect_photo(
            session, runtime, uuid.UUID(org_id), uuid.UUID(request_id), uuid.UUID(photo_id)
        )
    return {"result_id": str(out.id), "verdict": str(out.verdict)}
