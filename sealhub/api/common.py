"""Shared edge helpers: list envelopes, strict input models, idempotent creates, uploads."""

from __future__ import annotations

import hashlib
from collections.abc import Awaitable, Callable
from typing import Any, Generic, TypeVar

from fastapi import APIRouter, Request, UploadFile
from fastapi.encoders import jsonable_encoder
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel
from sqlalchemy.ext.asyncio import AsyncSession

from sealhub.platform import idempotency
from sealhub.platform.actor import Actor
from sealhub.platform.errors import PayloadTooLarge, ValidationFailed
from sealhub.platform.types import StrictModel

T = TypeVar("T")

__all__ = ["API_PREFIX", "Page", "StrictModel", "api_router", "idempotent", "read_upload"]

API_PREFIX = "/api/v1"


def api_router(prefix: str = "", *, tags: list[str]) -> APIRouter:
    """A context's routes under /api/v1; the app adds them to its own flat route list."""
    return APIRouter(prefix=API_PREFIX + prefix, tags=list(tags))


class Page(BaseModel, Generic[T]):
    items: list[T]
    total: int
    page: int
    page_size: int


async def idempotent(
    request: Request,
    session: AsyncSession,
    actor: Actor,
    make: Callable[[], Awaitable[Any]],
    *,
    status_code: int = 201,
) -> Response:
    """Run a create once per Idempotency-Key; a retry gets the stored reply."""
    key = request.headers.get("idempotency-key")
    if not key:
        value = await make()
        if isinstance(value, BaseModel):  # straight to JSON bytes, no dict in between
            return Response(
                value.model_dump_json(), status_code=status_code, media_type="application/json"
            )
        return JSONResponse(_jsonable(value), status_code=status_code)
    if len(key) > 200:
        raise ValidationFailed(reason="idempotency_key_too_long")
    body = await request.body() if _is_json(request) else b""
    fingerprint = hashlib.sha256(
        request.method.encode() + b" " + request.url.path.encode() + b"\n" + body
    ).hexdigest()
    principal = idempotency.principal_of(actor.org_id, actor.user_id)
    # a twin in flight holds the claim: this waits for its commit, then replays its reply
    claimed = await idempotency.claim(session, principal, key, fingerprint)
    if isinstance(claimed, idempotency.IdempotentReply):
        return JSONResponse(
            claimed.body, status_code=claimed.status_code, headers={"Idempotent-Replayed": "true"}
        )
    result = _jsonable(await make())
    await idempotency.complete(session, claimed, status_code, result)
    return JSONResponse(result, status_code=status_code)


def _jsonable(value: Any) -> Any:
    # pydantic's own serializer (Rust) is far cheaper than walking the dump again
    if isinstance(value, BaseModel):
        return value.model_dump(mode="json")
    return jsonable_encoder(value)


def _is_json(request: Request) -> bool:
    return request.headers.get("content-type", "").startswith("application/json")


async def read_upload(file: UploadFile, limit: int) -> bytes:
    """Read at most `limit` bytes; one more is an error (never a truncated file)."""
    data = await file.read(limit + 1)
    if len(data) > limit:
        raise PayloadTooLarge(limit=limit)
    return data
