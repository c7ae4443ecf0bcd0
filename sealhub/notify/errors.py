"""Alert errors, each with a stable code."""

from __future__ import annotations

from sealhub.platform.errors import InvalidTransition, NotFound


class AlertNotFound(NotFound):
    code = "alert.not_found"
    status = 404
    zh = "告警不存在"
    en = "Alert not found"


class InvalidAlertTransition(InvalidTransition):
    code = "alert.invalid_transition"
    status = 409
    zh = "告警当前状态“{current}”不能执行“{action}”"
    en = "An alert cannot {action} while {current}"
