"""Inspection errors, each with a stable code."""

from __future__ import annotations

from sealhub.platform.errors import NotFound


class InspectionNotFound(NotFound):
    code = "inspection.not_found"
    status = 404
    zh = "检查结果不存在"
    en = "Inspection result not found"
