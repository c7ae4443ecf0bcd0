"""Live domain events for the console (`GET /api/v1/events`, Server-Sent Events).

Events travel outbox → relay → cache pub/sub, so a listener on any API process sees
events committed by any other process sharing the same Redis. Each event reaches a reader
only if the reader may read what it is about, judged by the owning context's own read
rules (an application by requests' visibility, a seal by seals' data scope); an event no
rule below covers is not streamed at all.
"""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import orjson
from fastapi import Request
from fastapi.responses import StreamingResponse
from sqlalchemy.ext.asyncio import AsyncSession

from sealhub.api.common import api_router
from sealhub.api.deps import CurrentActor, RuntimeDep, bearer_or_cookie
from sealhub.devices import service as devices_service
from sealhub.identity import service as identity_service
from sealhub.platform.actor import Actor
from sealhub.platform.errors import NotFound, Unauthenticated
from sealhub.platform.events import BUS_CHANNEL
from sealhub.platform.runtime import Runtime
from sealhub.requests import service as requests_service
from sealhub.seals import service as seals_service

router = api_router(tags=["events"])
KEEPALIVE_SECONDS = 15.0

Check = Callable[[AsyncSession, Actor, dict[str, Any]], Awaitable[bool]]


def _id(payload: dict[str, Any], key: str) -> uuid.UUID | None:
    try:
        return uuid.UUID(str(payload[key]))
    except (KeyError, ValueError):
        return None


async def _request_readable(session: AsyncSession, actor: Actor, payload: dict[str, Any]) -> bool:
    """Applicant, assignees, keepers of its seals, `request.read` within the data scope."""
    request_id = _id(payload, "request_id")
    if request_id is None:
        return False
    return await requests_service.can_read(session, actor, request_id)


async def _seal_readable(session: AsyncSession, actor: Actor, payload: dict[str, Any]) -> bool:
    seal_id = _id(payload, "seal_id")
    if seal_id is None or not actor.can("seal.read"):
        return False
    try:
        await seals_service.get_seal(session, actor, seal_id)
    except NotFound:
        return False
    return True


async def _device_readable(session: AsyncSession, actor: Actor, payload: dict[str, Any]) -> bool:
    """`device.read` and the device within the reader's data scope."""
    device_id = _id(payload, "device_id")
    if device_id is None or not actor.can("device.read"):
        return False
    try:
        await devices_service.get_device(session, actor, device_id)
    except NotFound:
        return False
    return True


def _holding(permission: str) -> Check:
    async def check(session: AsyncSession, actor: Actor, payload: dict[str, Any]) -> bool:
        return actor.can(permission)

    return check


# event name (or prefix ending in ".") -> the payload field naming what it is about, and
# who may receive it; the first match decides
RULES: tuple[tuple[str, str | None, Check], ...] = (
    ("request.", "request_id", _request_readable),
    ("seal.", "seal_id", _seal_readable),
    ("member.join_requested", None, _holding("member.manage")),
    ("device.", "device_id", _device_readable),
    ("command.", "device_id", _device_readable),
    ("alert.", "alert_id", _holding("alert.read")),
)


def rule_for(name: str) -> tuple[str | None, Check] | None:
    for pattern, subject, check in RULES:
        if name == pattern or (pattern.endswith(".") and name.startswith(pattern)):
            return subject, check
    return None


class Reader:
    """One listener: its actor, re-read per event (a removed role or membership stops the
    flow), and the subjects it was allowed to see while that actor stayed the same."""

    def __init__(self, runtime: Runtime, token: str, actor: Actor) -> None:
        self.runtime = runtime
        self.token = token
        self.actor = actor
        self.allowed: set[tuple[str, str]] = set()

    async def may_see(self, event: dict[str, Any]) -> bool:
        """Raises Unauthenticated when the reader's session or membership has ended."""
        name = str(event.get("name", ""))
        rule = rule_for(name)
        if rule is None:
            return False
        field, check = rule
        payload = event.get("payload") or {}
        db = self.runtime.db
        async with db.gate or contextlib.nullcontext(), db.read_sessions() as session:
            auth = await identity_service.authenticate(session, self.runtime, self.token)
            if auth.actor is None or auth.actor.org_id != self.actor.org_id:
                raise Unauthenticated()
            if auth.actor != self.actor:
                self.actor, self.allowed = auth.actor, set()
            # a refusal is asked again each time: the next approval step may assign them
            subject = str(payload.get(field) or "") if field else ""
            key = (field or name, subject)
            if subject and key in self.allowed:
                return True
            if not await check(session, self.actor, payload):
                return False
            if subject:
                self.allowed.add(key)
            return True


@router.get("/events")
async def stream_events(
    request: Request, runtime: RuntimeDep, actor: CurrentActor
) -> StreamingResponse:
    """Server-Sent Events: the domain events of my organisation I may read, as they happen."""
    org = str(actor.org_id)
    token, _ = bearer_or_cookie(request)
    reader = Reader(runtime, token or "", actor)

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
                event = orjson.loads(raw)
                try:
                    if not await reader.may_see(event):
                        continue
                except Unauthenticated:
                    return  # signed out or removed: the console reconnects and is refused
                yield b"event: " + str(event["name"]).encode() + b"\ndata: " + raw + b"\n\n"
        finally:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

    return StreamingResponse(
        body(),
        media_type="text/event-stream",
        headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
    )
