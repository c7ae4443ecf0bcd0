"""Inspection errors, each with a stable code."""

from __future__ import annotations

from sealhub.platform.errors import Conflict, NotFound


class InspectionNotFound(NotFound):
    code = "inspection.not_found"
    status = 404
    zh = "检查结果不存在"
    en = "Inspection result not found"


class NotInspectedYet(Conflict):
    code = "inspection.not_ready"
    status = 409
    zh = "该照片尚未检查完成"
    en = "This photo has not been inspected yet"
