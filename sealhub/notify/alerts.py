"""What other contexts use to raise alerts: declare a kind at import time, raise it when the
condition occurs (in the caller's transaction).

    from sealhub.notify import alerts

    alerts.declare_kind("device.tampered", "设备被拆", "Device tampered", severity="critical")

    await alerts.raise_alert(
        session, org_id=device.org_id, kind="device.tampered",
        subject_type="device", subject_id=device.id, details={"part": "casing"},
    )

One alert per condition and object however often it repeats: while the alert of (org,
kind, subject_type, subject_id) is not resolved, a repeat adds one to its `count`, moves its
`last_at` and keeps the latest `details`; every occurrence emits `alert.raised`.
"""

from __future__ import annotations

from sealhub.notify.policy import Kind, Severity, declare_kind, kinds
from sealhub.notify.schemas import AlertOut
from sealhub.notify.service import raise_alert

Alert = AlertOut  # what raise_alert returns

__all__ = ["Alert", "AlertOut", "Kind", "Severity", "declare_kind", "kinds", "raise_alert"]
