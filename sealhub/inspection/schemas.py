"""Inspection in and out."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict

from sealhub.inspection.compare import Precision, Verdict
from sealhub.platform.i18n import label_table
from sealhub.platform.types import StrictModel

VERDICT_LABELS: dict[Verdict, tuple[str, str, str]] = {
    Verdict.MATCHES: ("一致", "Matches", "success"),
    Verdict.DIFFERS: ("内容不一致", "Differs", "danger"),
    Verdict.NOT_IN_APPLICATION: ("非申请文件页", "Page not in the application", "danger"),
    Verdict.BLANK: ("空白页", "Blank page", "danger"),
    Verdict.NO_IMPRINT: ("未见印章", "No imprint visible", "warning"),
    Verdict.IMPRINT_OUTSIDE: ("印章位置异常", "Imprint outside the expected area", "warning"),
    Verdict.UNREADABLE: ("无法识别", "Unreadable", "info"),
}
PRECISION_LABELS: dict[Precision, tuple[str, str, str]] = {
    Precision.STRICT: ("严格（合同）", "Strict (contracts)", "danger"),
    Precision.LOOSE: ("宽松（信函）", "Loose (letters)", "info"),
}


def enum_labels() -> dict[str, list[dict[str, Any]]]:
    return {
        "inspection_verdict": label_table(VERDICT_LABELS),
        "inspection_precision": label_table(PRECISION_LABELS),
    }


class DifferenceOut(BaseModel):
    kind: str
    original: str
    photo: str
    original_box: list[float] | None
    photo_box: list[float] | None


class ResultOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    request_id: uuid.UUID
    photo_id: uuid.UUID
    status: str
    verdict: Verdict | None
    document_id: uuid.UUID | None
    page: int | None
    similarity: float | None
    precision: Precision
    engine: str
    details: dict[str, Any]
    seconds: float | None
    created_at: datetime
    inspected_at: datetime | None


class ReportOut(BaseModel):
    request_id: uuid.UUID
    number: str
    name: str
    generated_at: datetime
    precision: Precision
    counts: dict[str, int]
    anomalies: int
    results: list[ResultOut]


class SettingOut(BaseModel):
    precision: Precision


class SettingIn(StrictModel):
    precision: Precision
