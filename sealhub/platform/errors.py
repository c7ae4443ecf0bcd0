"""Errors with stable dotted codes and zh-CN/en text, rendered once as RFC 9457 problems.

A context declares its errors as subclasses:

    class AlreadyDecided(AppError):
        code = "request.already_decided"
        status = 409
        zh = "该申请已处理"
        en = "The application has already been decided"

Every subclass registers itself, so `docs/api.md` and the API can list all codes.
"""

from __future__ import annotations

from typing import Any, ClassVar

CATALOGUE: dict[str, type[AppError]] = {}


class AppError(Exception):
    """A business error: never a 500."""

    code: ClassVar[str] = "error"
    status: ClassVar[int] = 400
    zh: ClassVar[str] = "请求错误"
    en: ClassVar[str] = "Bad request"
    # `reason` parameters are codes, never prose: their zh/en text (templates over the other
    # parameters) lives here, so an English title never carries Chinese and clients can match
    reasons: ClassVar[dict[str, tuple[str, str]]] = {}

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if "code" in cls.__dict__:
            if cls.code in CATALOGUE and CATALOGUE[cls.code] is not cls:
                raise RuntimeError(f"duplicate error code {cls.code}")
            CATALOGUE[cls.code] = cls

    def __init__(self, detail: str | None = None, **params: Any) -> None:
        self.detail = detail
        self.params = params
        super().__init__(detail or self.code)

    def title(self, locale: str) -> str:
        english = locale.startswith("en")
        template = self.en if english else self.zh
        params = dict(self.params)
        reason = params.get("reason")
        if isinstance(reason, str) and reason in self.reasons:
            zh, en = self.reasons[reason]
            params["reason"] = _format(en if english else zh, params)
        return _format(template, params)


def _format(template: str, params: dict[str, Any]) -> str:
    try:
        return template.format(**params)
    except (KeyError, IndexError):
        return template


class NotFound(AppError):
    code = "common.not_found"
    status = 404
    zh = "资源不存在"
    en = "Not found"


class Forbidden(AppError):
    code = "common.forbidden"
    status = 403
    zh = "没有权限执行此操作"
    en = "You do not have permission to do this"


class Unauthenticated(AppError):
    code = "auth.unauthenticated"
    status = 401
    zh = "请先登录"
    en = "Please sign in"


class ValidationFailed(AppError):
    code = "common.validation"
    status = 422
    zh = "输入有误：{reason}"
    en = "Invalid input: {reason}"
    reasons: ClassVar[dict[str, tuple[str, str]]] = {
        "idempotency_key_too_long": (
            "Idempotency-Key 超过 200 个字符",
            "Idempotency-Key longer than 200 characters",
        ),
        "unknown_sort": ("不能按 {value} 排序", "cannot sort by {value}"),
    }


class Conflict(AppError):
    code = "common.conflict"
    status = 409
    zh = "与现有数据冲突：{reason}"
    en = "Conflicts with existing data: {reason}"


class RateLimited(AppError):
    code = "common.rate_limited"
    status = 429
    zh = "操作过于频繁，请 {retry_after} 秒后再试"
    en = "Too many attempts; try again in {retry_after} s"


class PayloadTooLarge(AppError):
    code = "upload.too_large"
    status = 413
    zh = "文件过大（上限 {limit} 字节）"
    en = "File too large (limit {limit} bytes)"


class UnsupportedFile(AppError):
    code = "upload.unsupported"
    status = 415
    zh = "不支持的文件：{reason}"
    en = "Unsupported file: {reason}"


class InvalidTransition(AppError):
    code = "common.invalid_transition"
    status = 409
    zh = "当前状态“{current}”不允许执行“{action}”"
    en = "Cannot {action} while {current}"


class IdempotencyConflict(AppError):
    code = "common.idempotency_conflict"
    status = 422
    zh = "幂等键已用于不同的请求"
    en = "The idempotency key was already used for a different request"
