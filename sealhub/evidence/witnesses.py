"""Pushing signed tree heads to external witnesses.

    file     the note is dropped as `<size>.checkpoint` in `<data dir>/witness/<target>/`
             (a folder another system syncs or mounts; never a path the API can choose)
    webhook  the note is POSTed as text/plain to an http(s) URL (another SealHub's, or any
             witness service); a 2xx reply counts as delivered

A witness that fails keeps its last error and is retried with the next head.
"""

from __future__ import annotations

import logging
import re
import uuid

import httpx

from sealhub.evidence import repository
from sealhub.platform.runtime import Runtime

log = logging.getLogger("sealhub.evidence")
KINDS = ("file", "webhook")
FOLDER = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$")
TIMEOUT = 5.0


def valid_target(kind: str, target: str) -> bool:
    if kind == "file":
        return bool(FOLDER.match(target))
    if kind == "webhook":
        return target.startswith(("https://", "http://")) and len(target) <= 500
    return False


async def _deliver(runtime: Runtime, kind: str, target: str, size: int, note: str) -> None:
    if kind == "file":
        folder = runtime.settings.data_dir / "witness" / target
        folder.mkdir(parents=True, exist_ok=True)
        tmp = folder / f".{size}.tmp"
        tmp.write_text(note)
        tmp.replace(folder / f"{size}.checkpoint")
        return
    async with httpx.AsyncClient(timeout=TIMEOUT) as client:
        reply = await client.post(target, content=note, headers={"content-type": "text/plain"})
        reply.raise_for_status()


async def push_all(runtime: Runtime, org_id: uuid.UUID) -> int:
    """Push the latest head to every witness behind it; returns how many took it."""
    async with runtime.transaction() as session:
        head = await repository.latest_head(session, org_id)
        targets = [
            (w.id, w.kind, w.target)
            for w in await repository.witnesses(session, org_id)
            if head is not None and w.pushed_size < head.size
        ]
    if head is None:
        return 0
    delivered = 0
    for wid, kind, target in targets:
        error: str | None = None
        try:
            await _deliver(runtime, kind, target, head.size, head.note)
            delivered += 1
        except Exception as exc:  # any failure is recorded, never raised into the loop
            error = repr(exc)[:500]
            log.warning("witness push failed", extra={"witness": str(wid), "error": error})
        async with runtime.transaction() as session:
            w = await repository.witness(session, org_id, wid)
            if w is not None:
                if error is None:
                    w.pushed_size = max(w.pushed_size, head.size)
                w.last_error = error
    return delivered
