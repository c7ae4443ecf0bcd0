"""Alert kinds the tests raise (no context of main raises alerts yet), and a raiser."""

from __future__ import annotations

import uuid
from typing import Any

from fastapi import FastAPI

from sealhub.notify import alerts

TAMPER = "testdevice.tampered"
LOW_BATTERY = "testdevice.low_battery"

alerts.declare_kind(TAMPER, "测试设备被拆", "Test device tampered", severity="critical")
alerts.declare_kind(LOW_BATTERY, "测试设备电量低", "Test device battery low", severity="info")


async def raise_one(
    app: FastAPI,
    org_id: str | uuid.UUID,
    subject_id: str | uuid.UUID,
    *,
    kind: str = TAMPER,
    details: dict[str, Any] | None = None,
    request_id: str | uuid.UUID | None = None,
    subject_type: str = "device",
) -> alerts.Alert:
    """Raise in a transaction of its own, the way a device message handler does."""
    async with app.state.runtime.transaction() as session:
        return await alerts.raise_alert(
            session,
            org_id=uuid.UUID(str(org_id)),
            kind=kind,
            subject_type=subject_type,
            subject_id=subject_id,
            details=details,
            request_id=uuid.UUID(str(request_id)) if request_id else None,
        )
