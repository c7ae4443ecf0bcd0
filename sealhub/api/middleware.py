"""Plain ASGI middleware (Starlette's BaseHTTPMiddleware costs a task and a stream per
request), one layer for everything the edge does."""

from __future__ import annotations

import logging
import time
from typing import Any

import orjson
from starlette.middleware.gzip import GZipMiddleware
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from sealhub.api.problems import MEDIA_TYPE, TYPE_BASE
from sealhub.platform import ids
from sealhub.platform.i18n import negotiate

access = logging.getLogger("sealhub.access")


def _header(scope: Scope, name: bytes) -> str | None:
    for key, value in scope.get("headers", ()):
        if key == name:
            return str(value.decode("latin-1"))
    return None


class Edge:
    """The one middleware in front of the app: request id and access log, early refusal of
    declared oversized bodies, gzip for clients that accept it (the compressor's per-request
    wrapping is skipped for those that do not)."""

    def __init__(self, app: ASGIApp, *, limit: int, default_locale: str) -> None:
        self.app = app
        self.compressed = GZipMiddleware(app, minimum_size=1400, compresslevel=6)
        self.limit = limit
        self.default_locale = default_locale

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        request_id = _header(scope, b"x-request-id") or ids.token(9)
        request_id_header = (b"x-request-id", request_id[:200].encode("latin-1", "replace"))
        status = 500

        async def send_wrapper(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                message["headers"] = [*message.get("headers", ()), request_id_header]
            await send(message)

        length = _header(scope, b"content-length")
        try:
            # room for multipart framing around the largest accepted file
            if length and length.isdigit() and int(length) > self.limit + 1024 * 1024:
                await self._refuse(scope, send_wrapper)
            elif "gzip" in (_header(scope, b"accept-encoding") or ""):
                await self.compressed(scope, receive, send_wrapper)
            else:
                await self.app(scope, receive, send_wrapper)
        finally:
            if access.isEnabledFor(logging.INFO):
                client = scope.get("client")
                access.info(
                    "request",
                    extra={
                        "request_id": request_id,
                        "method": scope["method"],
                        "path": scope["path"],
                        "status": status,
                        "ms": round((time.perf_counter() - started) * 1000, 1),
                        "ip": client[0] if client else None,
                    },
                )

    async def _refuse(self, scope: Scope, send: Send) -> None:
        locale = negotiate(_header(scope, b"accept-language"), self.default_locale)
        body: dict[str, Any] = {
            "type": TYPE_BASE + "upload.too_large",
            "title": "Request body too large" if locale == "en" else "请求体过大",
            "status": 413,
            "code": "upload.too_large",
            "instance": scope["path"],
            "limit": self.limit,
        }
        payload = orjson.dumps(body)
        await send(
            {
                "type": "http.response.start",
                "status": 413,
                "headers": [
                    (b"content-type", MEDIA_TYPE.encode()),
                    (b"content-length", str(len(payload)).encode()),
                    (b"connection", b"close"),
                ],
            }
        )
        await send({"type": "http.response.body", "body": payload})
