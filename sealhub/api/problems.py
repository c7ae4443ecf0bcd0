"""Every error leaves as RFC 9457 problem+json with a stable code and localized title."""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy.exc import IntegrityError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import Route

from sealhub.platform.errors import CATALOGUE, AppError
from sealhub.platform.i18n import negotiate

log = logging.getLogger("sealhub.api")
MEDIA_TYPE = "application/problem+json"
TYPE_BASE = "https://sealhub.dev/problems/"
CONSOLE_PATH = "/{path:path}"  # the console's catch-all (app.py) serves no API method

_HTTP_CODES: dict[int, tuple[str, str, str]] = {
    400: ("http.bad_request", "请求格式错误", "Bad request"),
    401: ("auth.unauthenticated", "请先登录", "Please sign in"),
    403: ("common.forbidden", "没有权限执行此操作", "Forbidden"),
    404: ("http.not_found", "请求的地址不存在", "Not found"),
    405: ("http.method_not_allowed", "不支持该请求方法", "Method not allowed"),
    413: ("upload.too_large", "请求体过大", "Request body too large"),
    415: ("http.unsupported_media_type", "不支持的内容类型", "Unsupported media type"),
}


def locale_of(request: Request) -> str:
    cookie = request.cookies.get("sealhub_locale")
    header = request.headers.get("accept-language")
    default = request.app.state.runtime.settings.default_locale
    return negotiate(header or cookie, default)


def problem(
    request: Request,
    status: int,
    code: str,
    title: str,
    detail: str | None = None,
    **extra: Any,
) -> JSONResponse:
    body: dict[str, Any] = {
        "type": TYPE_BASE + code,
        "title": title,
        "status": status,
        "code": code,
        "instance": request.url.path,
    }
    if detail:
        body["detail"] = detail
    body.update(extra)
    headers = {}
    if "retry_after" in extra:  # 429, and 409 for a create still in flight
        headers["Retry-After"] = str(extra["retry_after"])
    return JSONResponse(body, status_code=status, media_type=MEDIA_TYPE, headers=headers)


def _validation_errors(exc: RequestValidationError) -> list[dict[str, Any]]:
    out = []
    for err in exc.errors():
        out.append(
            {
                "loc": [str(part) for part in err.get("loc", ())],
                "msg": str(err.get("msg", "")),
                "type": str(err.get("type", "")),
            }
        )
    return out


PROBLEM_SCHEMA: dict[str, Any] = {
    "title": "Problem",
    "description": "RFC 9457 problem details; `code` is stable (listed in docs/api.md), "
    "`title` is localized (zh-CN or en).",
    "type": "object",
    "required": ["type", "title", "status", "code"],
    "properties": {
        "type": {"type": "string", "format": "uri"},
        "title": {"type": "string"},
        "status": {"type": "integer", "minimum": 400, "maximum": 599},
        "code": {"type": "string"},
        "detail": {"type": "string"},
        "instance": {"type": "string"},
        "errors": {
            "type": "array",
            "items": {
                "type": "object",
                "properties": {
                    "loc": {"type": "array", "items": {"type": "string"}},
                    "msg": {"type": "string"},
                    "type": {"type": "string"},
                },
            },
        },
    },
    # an error's parameters (retry_after, limit...) travel as extra members
    "additionalProperties": True,
}
_STATUS_TEXT = {
    400: "Malformed request (e.g. invalid JSON)",
    401: "Not signed in, or the session or API key is no longer valid",
    403: "Signed in without the permission this needs",
    404: "No such object in the caller's organisation and data scope",
    409: "Conflicts with the object's state or with existing data",
    413: "Request body too large",
    415: "Unsupported content or file type",
    422: "Invalid input",
    429: "Too many attempts; see Retry-After",
    500: "Internal error (a bug: please report it with the X-Request-ID)",
}
_WRITES = frozenset({"post", "put", "patch", "delete"})


def error_statuses(method: str, operation: dict[str, Any]) -> list[int]:
    """The error statuses an operation can answer with, each as problem+json."""
    statuses = [400, 401, 403, 404, 422, 500, *_rare_statuses()]
    if method in _WRITES:
        statuses += [409, 429]
    if "requestBody" in operation:
        statuses += [413, 415]
    return sorted(statuses)


def _rare_statuses() -> dict[int, str]:
    """Statuses only a few errors use (423 locked, 410 gone...), declared everywhere so a
    new error never makes the document lie; described by the codes that use them."""
    codes: dict[int, list[str]] = {}
    for error in CATALOGUE.values():
        if error.status not in _STATUS_TEXT:
            codes.setdefault(error.status, []).append(error.code)
    return {status: "One of: " + ", ".join(sorted(c)) for status, c in codes.items()}


def declare_problems(schema: dict[str, Any]) -> dict[str, Any]:
    """Declare every error reply of every operation as application/problem+json."""
    components = schema.setdefault("components", {}).setdefault("schemas", {})
    components["Problem"] = PROBLEM_SCHEMA
    ref = {"$ref": "#/components/schemas/Problem"}
    texts = {**_STATUS_TEXT, **_rare_statuses()}
    for item in schema.get("paths", {}).values():
        for method, operation in item.items():
            if not isinstance(operation, dict) or "responses" not in operation:
                continue
            responses = operation["responses"]
            for status in error_statuses(method, operation):
                responses[str(status)] = {
                    "description": texts[status],
                    "content": {MEDIA_TYPE: {"schema": ref}},
                }
    # FastAPI's own validation shapes are never sent (validation errors are problems)
    for name in ("HTTPValidationError", "ValidationError"):
        components.pop(name, None)
    return schema


def install(app: FastAPI) -> None:
    generate = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            app.openapi_schema = declare_problems(generate())
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]

    @app.exception_handler(AppError)
    async def app_error(request: Request, exc: AppError) -> JSONResponse:
        locale = locale_of(request)
        extra = {k: v for k, v in exc.params.items() if isinstance(v, str | int | float | bool)}
        return problem(request, exc.status, exc.code, exc.title(locale), exc.detail, **extra)

    @app.exception_handler(RequestValidationError)
    async def validation_error(request: Request, exc: RequestValidationError) -> JSONResponse:
        locale = locale_of(request)
        errors = _validation_errors(exc)
        if any(e["type"] == "json_invalid" for e in errors):
            title = "Malformed JSON" if locale == "en" else "JSON 格式错误"
            return problem(request, 400, "http.malformed_json", title, errors=errors)
        title = "Invalid input" if locale == "en" else "输入有误"
        first = errors[0] if errors else None
        detail = f"{'.'.join(first['loc'])}: {first['msg']}" if first else None
        return problem(request, 422, "common.validation", title, detail, errors=errors)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        locale = locale_of(request)
        code, zh, en = _HTTP_CODES.get(exc.status_code, ("http.error", "请求错误", "HTTP error"))
        headers = dict(exc.headers or {})
        if exc.status_code == 405:
            headers["Allow"] = allowed_methods(request.app, request.url.path)
        reply = problem(request, exc.status_code, code, en if locale == "en" else zh)
        reply.headers.update(headers)
        return reply

    @app.exception_handler(IntegrityError)
    async def integrity_error(request: Request, exc: IntegrityError) -> JSONResponse:
        log.warning("integrity error", extra={"path": request.url.path, "err": str(exc.orig)})
        locale = locale_of(request)
        title = "Conflicts with existing data" if locale == "en" else "与现有数据冲突"
        return problem(request, 409, "common.conflict", title)

    @app.exception_handler(Exception)
    async def unexpected(request: Request, exc: Exception) -> JSONResponse:
        log.exception("unhandled error", extra={"path": request.url.path})
        locale = locale_of(request)
        title = "Internal error" if locale == "en" else "服务器内部错误"
        return problem(request, 500, "internal", title)


def allowed_methods(app: FastAPI, path: str) -> str:
    """Every method some route serves at `path` (routes are flat: one per method)."""
    methods: set[str] = set()
    for route in app.router.routes:
        if (
            isinstance(route, Route)
            and route.path != CONSOLE_PATH
            and route.methods
            and route.path_regex.fullmatch(path)
        ):
            methods |= route.methods
    return ", ".join(sorted(methods))


def problem_response_404(app: FastAPI | None = None, path: str = "") -> JSONResponse:
    """A GET no API route serves: 405 with Allow when the path has other methods, else 404
    (the console's catch-all would otherwise hide the 405)."""
    allow = allowed_methods(app, path) if app is not None else ""
    status, code, title = (
        (405, "http.method_not_allowed", "Method not allowed")
        if allow
        else (404, "http.not_found", "Not found")
    )
    body = {"type": TYPE_BASE + code, "title": title, "status": status, "code": code}
    if path:
        body["instance"] = path
    headers = {"Allow": allow} if allow else None
    return JSONResponse(body, status_code=status, media_type=MEDIA_TYPE, headers=headers)
