"""Device alarms become alerts of the notify context (one open alert per condition and
device, repeats counted there)."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from sealhub.notify import alerts

# alarm kinds of the protocol -> (alert kind, zh, en, severity)
KINDS: dict[str, tuple[str, str, str]] = {
    "device.tampered": (
        "设备被拆开（外壳或印章仓）",
        "Device tampered with (casing or seal bay)",
        "critical",
    ),
    "device.pressed_too_long": ("解锁后按压时间过长", "Pressed too long while unlocked", "warning"),
    "device.fingerprint_failed": ("指纹多次验证失败", "Repeated failed fingerprints", "warning"),
    "device.outside_geofence": ("设备离开电子围栏", "Device outside its geofence", "critical"),
    "device.outside_hours": ("非工作时间使用", "Used outside working hours", "warning"),
    "device.battery_low": ("设备电量低（< 20%）", "Device battery low (< 20 %)", "warning"),
    "device.ink_low": ("印油不足", "Ink running low", "info"),
    "device.offline": ("设备离线时间过长", "Device offline too long", "warning"),
    "device.seal_swapped": ("设备中的印章被取出或更换", "Seal removed or swapped", "critical"),
    "device.emergency_used": ("紧急用印", "Emergency use", "critical"),
    "device.press_refused": ("设备拒绝了一次盖章", "The device refused a press", "warning"),
}

for _kind, (_zh, _en, _severity) in KINDS.items():
    alerts.declare_kind(_kind, _zh, _en, severity=_severity)


async def raise_alert(
    session: AsyncSession,
    org_id: uuid.UUID,
    kind: str,
    device_id: uuid.UUID,
    details: dict[str, Any],
) -> None:
    """Open (or count again) the alert of this condition on this device."""
    await alerts.raise_alert(
        session,
        org_id=org_id,
        kind=kind,
        subject_type="device",
        subject_id=device_id,
        details=details,
        request_id=None,
    )
