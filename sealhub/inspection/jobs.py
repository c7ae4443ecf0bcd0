"""The inspection job: one photo of stamped pages (triggered by an upload or a stamp)."""

from __future__ import annotations

import asyncio
import logging
import uuid

from sealhub.inspection import service
from sealhub.platform.jobs import job
from sealhub.platform.runtime import Runtime

log = logging.getLogger("sealhub.inspection")


@job("inspection.inspect_photo")
async def inspect_photo(
    runtime: Runtime, org_id: str, request_id: str, photo_id: str
) -> dict[str, str]:
    """Inspect one photo (idempotent: a rerun replaces the result). Two short transactions
    around the OCR, so no database lock is held while the CPU works."""
    ids = uuid.UUID(org_id), uuid.UUID(request_id), uuid.UUID(photo_id)
    try:
        async with runtime.transaction() as session:
            inputs = await service.inspection_inputs(session, runtime, *ids)
        outcome = await asyncio.to_thread(service.run_inspection, inputs)
        async with runtime.transaction() as session:
            out = await service.store_inspection(session, runtime, inputs, outcome)
    except Exception as exc:
        # recorded as failed (the sweep would otherwise retry it every minute forever)
        log.exception("inspection failed", extra={"photo_id": photo_id})
        async with runtime.transaction() as session:
            await service.mark_failed(session, *ids, repr(exc))
        return {"result_id": "", "verdict": "failed"}
    return {"result_id": str(out.id), "verdict": str(out.verdict)}
