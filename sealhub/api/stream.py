"""Live domain events for the console (`GET /api/v1/events`, Server-Sent Events).

Events travel outbox → relay → cache pub/sub, so a listener on any API process sees
events committed by any other process sharing the same Redis.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator

import orjson
from fastapi import Request
from fastapi.responses import StreamingResponse

from sealhub.api.common import api_router
from sealhub.api.deps import CurrentActor, RuntimeDep
from sealhub.platform.events import BUS_CHANNEL

router = api_router(tags=["events"])
KEEPALIVE_SECONDS = 15.0


@router.get("/events")
async def stream_events(
    request: Request, runtime: RuntimeDep, actor: CurrentActor
) -> StreamingResponse:
    """Server-Sent Events: the domain events of my organisation as they happen."""
    org = str(actor.org_id)

    async def body() -> AsyncIterator[bytes]:
        queue: asyncio.Queue[bytes] = asyncio.Queue(maxsize=1000)

        async def pump() -> None:
            async for raw in runtime.cache.subscribe(BUS_CHANNEL):
                if orjson.loads(raw).get("org_id") == org and not queue.full():
                    queue.put_nowait(raw)

        task = asyncio.create_task(pump())
        try:
            yield b": connected\n\n"
            while not await request.is_disconnected():
                try:
                    raw = await asyncio.wait_for(queue.get(), KEEPALIVE_SECONDS)
                except TimeoutError:
                    yield b": keepalive\n\n"
                    continue
                name = orjson.loads(raw)["name"]
                yield b"event: " + name.encode() + b"\ndata: " + raw + b"\n\n"
        finally:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

    return StreamingResponse(
        body(),
        media_type="text/event-stream",
        headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
    )
