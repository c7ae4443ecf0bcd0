"""Alerts' shapes in and out, and the console's labels."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from sealhub.notify.policy import ALERT_STATUS, SEVERITY_LABELS, AlertStatus, Severity, kinds
from sealhub.platform.i18n import label_table
from sealhub.platform.types import StrictModel

__all__ = [
    "AcknowledgeIn",
    "AlertCounts",
    "AlertOut",
    "AlertStatus",
    "ResolveIn",
    "Severity",
    "enum_labels",
]


# ---- in ----


class AcknowledgeIn(StrictModel):
    comment: str = Field(default="", max_length=500)


class ResolveIn(StrictModel):
    comment: str = Field(min_length=1, max_length=500)


# ---- out ----


class AlertOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    kind: str
    severity: Severity
    subject_type: str
    subject_id: str
    request_id: uuid.UUID | None
    status: AlertStatus
    details: dict[str, Any]
    count: int
    first_at: datetime
    last_at: datetime
    acknowledged_at: datetime | None
    acknowledged_by: uuid.UUID | None
    acknowledged_by_name: str
    acknowledge_comment: str
    resolved_at: datetime | None
    resolved_by: uuid.UUID | None
    resolved_by_name: str
    resolve_comment: str
    # what the console may offer next (for a reader holding alert.manage)
    actions: list[str] = Field(default_factory=list)


class AlertCounts(BaseModel):
    """Unresolved alerts for the console's badge."""

    open: int
    acknowledged: int
    unresolved: int
    by_severity: dict[Severity, int]


# ---- labels served by /api/v1/meta/enums ----


def enum_labels() -> dict[str, list[dict[str, Any]]]:
    """Alert statuses, severities and the kinds declared by the contexts that raise them."""
    kind_table = {k.key: (k.zh, k.en, SEVERITY_LABELS[k.severity][2]) for k in kinds()}
    return {
        "alert_status": ALERT_STATUS.labels(),
        "alert_severity": label_table(SEVERITY_LABELS),
        "alert_kind": label_table(kind_table),
    }
