"""Plain ASGI middleware (Starlette's BaseHTTPMiddleware costs a task and a stream per
request): request ids + structured access log, and an early refusal of oversized bodies."""

from __future__ import annotations

import logging
import time
from typing import Any

import orjson
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


class AccessLog:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        request_id = _header(scope, b"x-request-id") or ids.token(9)
        status = 500

        async def send_wrapper(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                message.setdefault("headers", [])
                message["headers"] = [
                    *message["headers"],
                    (b"x-request-id", request_id[:200].encode("latin-1", "replace")),
                ]
            await send(message)

        try:
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


class BodyLimit:
    """Refuse a declared body larger than the upload limit before reading it."""

    def __init__(self, app: ASGIApp, *, limit: int, default_locale: str) -> None:
        self.app = app
        self.limit = limit
        self.default_locale = default_locale

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            length = _header(scope, b"content-length")
            # room for multipart framing around the largest accepted file
            if length and length.isdigit() and int(length) > self.limit + 1024 * 1024:
                await self._refuse(scope, send)
                return
        await self.app(scope, receive, send)

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
