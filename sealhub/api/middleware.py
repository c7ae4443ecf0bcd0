"""Plain ASGI middleware (Starlette's BaseHTTPMiddleware costs a task and a stream per
request), one layer for everything the edge does."""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Sequence
from ipaddress import IPv4Network, IPv6Network, ip_address
from typing import Any

import orjson
from starlette.middleware.gzip import GZipMiddleware
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from sealhub.api.problems import MEDIA_TYPE, TYPE_BASE
from sealhub.platform import ids
from sealhub.platform.i18n import negotiate

access = logging.getLogger("sealhub.access")
Networks = Sequence[IPv4Network | IPv6Network]

# a client's request id reaches logs and replies only if it is short and plain
_REQUEST_ID = re.compile(r"[A-Za-z0-9._:-]{1,64}")

# the console: Vite-built modules from 'self'; Element Plus sets inline styles; pdf.js runs a
# worker, decodes some images with WebAssembly and previews blobs; nobody may frame us
CONSOLE_CSP = (
    "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; "
    "style-src 'self' 'unsafe-inline'; img-src 'self' data: blob:; font-src 'self' data:; "
    "connect-src 'self'; worker-src 'self' blob:; object-src 'none'; base-uri 'self'; "
    "form-action 'self'; frame-ancestors 'none'"
)
# FastAPI's /docs page loads Swagger UI from jsDelivr and starts it with an inline script
DOCS_CSP = (
    "default-src 'self'; script-src 'self' 'unsafe-inline' https://cdn.jsdelivr.net; "
    "style-src 'self' 'unsafe-inline' https://cdn.jsdelivr.net; "
    "img-src 'self' data: https://fastapi.tiangolo.com; worker-src 'self' blob:; "
    "object-src 'none'; "
    "base-uri 'self'; frame-ancestors 'none'"
)
_COMMON = (
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"no-referrer"),
    (b"x-frame-options", b"DENY"),
    (b"cross-origin-opener-policy", b"same-origin"),
)
HSTS = (b"strict-transport-security", b"max-age=31536000; includeSubDomains")


def _header(scope: Scope, name: bytes) -> str | None:
    for key, value in scope.get("headers", ()):
        if key == name:
            return str(value.decode("latin-1"))
    return None


def request_id_of(scope: Scope) -> str:
    """The client's X-Request-ID when it is short and plain, else a fresh one."""
    sent = _header(scope, b"x-request-id")
    return sent if sent and _REQUEST_ID.fullmatch(sent) else ids.token(9)


def _trusted(host: str, proxies: Networks) -> bool:
    try:
        address = ip_address(host)
    except ValueError:
        return False
    return any(address in net for net in proxies)


def forwarded_client(peer: str, forwarded_for: str | None, proxies: Networks) -> str:
    """The client address: the peer, unless the peer is a trusted proxy; then the nearest
    X-Forwarded-For hop that is not one (walked from the right: the left is the client's
    own claim and can say anything)."""
    if not proxies or not forwarded_for or not _trusted(peer, proxies):
        return peer
    hops = [h.strip() for h in forwarded_for.split(",")][-20:]
    for hop in reversed(hops):
        try:
            ip_address(hop)
        except ValueError:
            return peer  # a malformed chain is not believed at all
        if not _trusted(hop, proxies):
            return hop
    return hops[0] if hops else peer


def _cache_control(scope: Scope, headers: list[tuple[bytes, bytes]]) -> bool:
    # an API reply that chose no caching of its own is never stored by a browser or proxy
    path: str = scope["path"]
    if not path.startswith("/api/"):
        return False
    return not any(k.lower() == b"cache-control" for k, _ in headers)


def security_headers(scope: Scope, headers: list[tuple[bytes, bytes]], hsts: bool) -> None:
    """Add the headers every reply carries (a route's own value wins)."""
    present = {k.lower() for k, _ in headers}
    path: str = scope["path"]
    csp = DOCS_CSP if path.startswith(("/docs", "/redoc")) else CONSOLE_CSP
    extra = [*_COMMON, (b"content-security-policy", csp.encode())]
    if hsts:
        extra.append(HSTS)
    if _cache_control(scope, headers):
        extra.append((b"cache-control", b"no-store"))
    headers.extend((k, v) for k, v in extra if k not in present)


class Edge:
    """The one middleware in front of the app: request id and access log, early refusal of
    declared oversized bodies, gzip for clients that accept it (the compressor's per-request
    wrapping is skipped for those that do not)."""

    def __init__(
        self,
        app: ASGIApp,
        *,
        limit: int,
        default_locale: str,
        hsts: bool = False,
        trusted_proxies: Networks = (),
    ) -> None:
        self.app = app
        self.compressed = GZipMiddleware(app, minimum_size=1400, compresslevel=6)
        self.limit = limit
        self.default_locale = default_locale
        self.hsts = hsts
        self.proxies = tuple(trusted_proxies)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        request_id = request_id_of(scope)
        request_id_header = (b"x-request-id", request_id.encode())
        client = scope.get("client")
        if self.proxies and client:
            forwarded = _header(scope, b"x-forwarded-for")
            scope = {**scope, "client": (forwarded_client(client[0], forwarded, self.proxies), 0)}
        status = 500

        async def send_wrapper(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                headers = [*message.get("headers", ()), request_id_header]
                security_headers(scope, headers, self.hsts)
                message["headers"] = headers
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
