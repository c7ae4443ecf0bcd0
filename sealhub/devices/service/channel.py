"""What the device channel (ingest, gateway) does in the database, apart from the hot rows:
a hello, command answers, stamps counted on applications, alarms, upload grants, offline.

These run for the system inside the organisation of the device (`system_in`), in the
transaction of the ingest batch that carried the message."""

from __future__ import annotations

import hashlib
import secrets
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from sealhub.devices import policy, repository
from sealhub.devices.events import (
    DeviceAlarmed,
    DeviceConnected,
    DeviceDisconnected,
    DeviceStamped,
    StampPhoto,
)
from sealhub.devices.models import Device, DeviceCommand, MediaGrant
from sealhub.devices.policy import CommandAction, CommandState, DeviceAction, DeviceStatus
from sealhub.devices.service import alarms
from sealhub.devices.service._common import TARGET, command_changed, label, label_en
from sealhub.platform import audit, clock, events
from sealhub.platform.actor import system_in
from sealhub.platform.db import appends
from sealhub.platform.errors import AppError
from sealhub.requests import service as requests_service
from sealhub.requests.events import UseSource

# protocol alarm codes (§13) -> alert kinds
ALARM_KINDS = {
    "tamper": "device.tampered",
    "press_too_long": "device.pressed_too_long",
    "fingerprint_failures": "device.fingerprint_failed",
    "geofence": "device.outside_geofence",
    "working_hours": "device.outside_hours",
    "low_battery": "device.battery_low",
    "low_ink": "device.ink_low",
    "seal_removed": "device.seal_swapped",
    "seal_swapped": "device.seal_swapped",
    "emergency_use": "device.emergency_used",
    "refused_count": "device.press_refused",
    "refused_window": "device.press_refused",
    "refused_person": "device.press_refused",
}


def ms(at: datetime) -> int:
    return int(at.timestamp() * 1000)


async def hello(
    session: AsyncSession,
    device_id: uuid.UUID,
    *,
    firmware: str,
    model: str,
    capabilities: list[str],
    version: int,
) -> Device | None:
    """A device connected and said hello: online, active, what it runs and can do."""
    device = await repository.device_by_id(session, device_id)
    if device is None:
        return None
    was_online = device.online
    now = clock.now()
    if device.status == DeviceStatus.PROVISIONED:
        device.status = policy.DEVICE_STATUS.transition(device.status, DeviceAction.ACTIVATE)
        await audit.record(
            session,
            system_in(device.org_id),
            "device.activate",
            TARGET,
            device.id,
            summary=audit.Summary(
                f"设备{label(device)}首次上线", f"Device {label_en(device)} connected first"
            ),
            after={"status": device.status, "firmware": firmware},
        )
    device.online, device.last_seen_at = True, now
    device.firmware, device.capabilities = firmware, list(capabilities)
    device.protocol_version = str(version)
    if model and not device.model:
        device.model = model[:60]
    if not was_online:
        await events.emit(
            session, DeviceConnected(org_id=device.org_id, device_id=device.id, at=now)
        )
    return device


async def came_back(session: AsyncSession, device_id: uuid.UUID) -> None:
    """A heartbeat from a device marked offline: it is online again."""
    device = await repository.device_by_id(session, device_id)
    if device is None or device.online:
        return
    device.online, device.last_seen_at = True, clock.now()
    await events.emit(
        session, DeviceConnected(org_id=device.org_id, device_id=device.id, at=clock.now())
    )


async def offline(session: AsyncSession, device: Device, reason: str) -> None:
    """Mark a device offline (last will or silence), once."""
    if not await repository.set_offline(session, device.id):
        return
    now = clock.now()
    await events.emit(
        session,
        DeviceDisconnected(org_id=device.org_id, device_id=device.id, at=now, reason=reason),
    )


async def commands_to_send(
    session: AsyncSession, device_id: uuid.UUID, *, resend: bool
) -> tuple[Device | None, list[DeviceCommand]]:
    """Queued commands of an online, connectable device (and the sent, unanswered ones too
    after a reconnect: same id, the device answers them once)."""
    device = await repository.device_by_id(session, device_id)
    if device is None or not device.online or device.status not in policy.CONNECTABLE:
        return device, []
    wanted = {CommandState.QUEUED} | ({CommandState.SENT} if resend else set())
    found = await repository.open_commands_of(session, device_id)
    return device, [c for c in found if c.state in wanted]


async def mark_sent(session: AsyncSession, cmd: DeviceCommand) -> None:
    cmd.state = policy.COMMAND_STATE.transition(cmd.state, CommandAction.SEND)
    cmd.sent_at = clock.now()
    cmd.attempts += 1
    await command_changed(session, cmd)


async def mark_failed(session: AsyncSession, cmd: DeviceCommand, error: str) -> None:
    cmd.state = policy.COMMAND_STATE.transition(cmd.state, CommandAction.FAIL)
    cmd.finished_at, cmd.error = clock.now(), error[:500]
    await command_changed(session, cmd)


async def command_answer(
    session: AsyncSession,
    device_id: uuid.UUID,
    command_id: str,
    *,
    accepted: bool | None,
    ok: bool | None,
    code: str = "",
    detail: dict[str, Any] | None = None,
) -> DeviceCommand | None:
    """An `ack` (accepted) or `result` (ok) for a command; idempotent."""
    try:
        cid = uuid.UUID(command_id)
    except ValueError:
        return None
    cmd = await repository.command_of(session, device_id, cid)
    if cmd is None or cmd.state not in policy.OPEN_COMMANDS:
        return cmd
    now = clock.now()
    if accepted is True:
        if cmd.state != CommandState.ACKNOWLEDGED:
            cmd.state = policy.COMMAND_STATE.transition(cmd.state, CommandAction.ACKNOWLEDGE)
            cmd.acked_at = now
    elif accepted is False:
        cmd.state = policy.COMMAND_STATE.transition(cmd.state, CommandAction.FAIL)
        cmd.finished_at, cmd.error = now, (code or "rejected")[:500]
    elif ok is not None:
        if code in ("downloading", "verifying"):  # firmware progress: not the end yet
            cmd.result = {"code": code, **(detail or {})}
            await command_changed(session, cmd)
            return cmd
        action = CommandAction.FINISH if ok else CommandAction.FAIL
        cmd.state = policy.COMMAND_STATE.transition(cmd.state, action)
        cmd.finished_at = now
        cmd.acked_at = cmd.acked_at or now
        cmd.result = {"code": code, **(detail or {})}
        if not ok:
            cmd.error = code[:500]
    await command_changed(session, cmd)
    return cmd


@dataclass(frozen=True)
class StampFacts:
    device: Any  # the ingest's device state (id, org_id, seal_id, serial)
    seq: int
    at: datetime
    auth: str | None
    person: str | None
    photos: tuple[str, ...]
    emergency: bool


async def stamp(session: AsyncSession, facts: StampFacts) -> dict[str, Any]:
    """A press: counted on its application through `requests.record_use` (refusals are kept
    and alerted, never lost), announced as `device.stamped`. Returns what the event row
    should link (request, item, seal, photo objects, refusal)."""
    dev = facts.device
    actor = system_in(dev.org_id)
    out: dict[str, Any] = {"request_id": None, "item_id": None, "seal_id": dev.seal_id}
    auth = await repository.authorisation_of(session, dev.id, facts.auth) if facts.auth else None
    objects = await repository.uploaded_objects(session, dev.id, list(facts.photos))
    out["photo_objects"] = {h: str(o) for h, o in objects.items()}
    if auth is not None:
        out["request_id"], out["item_id"] = auth.request_id, auth.item_id
        seal_id = dev.seal_id
        person = _uuid(facts.person)
        try:
            async with appends.savepoint(session):
                await requests_service.record_use(
                    session,
                    actor,
                    auth.request_id,  # type: ignore[arg-type]
                    seal_id=seal_id or uuid.UUID(int=0),
                    source=UseSource.DEVICE_PRESS,
                    count=1,
                    user_id=person,
                )
        except AppError as exc:
            out["use_refused"] = exc.code
            await alarms.raise_alert(
                session,
                dev.org_id,
                "device.press_refused",
                dev.id,
                {"request_id": str(auth.request_id), "reason": exc.code, "seq": facts.seq},
            )
    elif facts.emergency:
        await alarms.raise_alert(
            session, dev.org_id, "device.emergency_used", dev.id, {"seq": facts.seq}
        )
    await events.emit(
        session,
        DeviceStamped(
            org_id=dev.org_id,
            device_id=dev.id,
            request_id=out["request_id"],
            item_id=out["item_id"],
            seal_id=out["seal_id"],
            sequence=facts.seq,
            photos=[StampPhoto(sha256=h, object_id=objects.get(h)) for h in facts.photos],
            at=facts.at,
        ),
    )
    return out


async def alarm(
    session: AsyncSession, device: Any, *, code: str, seq: int, at: datetime, detail: str
) -> None:
    """A device alarm: an alert (one open per condition and device) and a live event."""
    kind = ALARM_KINDS.get(code, "device.tampered")
    await alarms.raise_alert(
        session, device.org_id, kind, device.id, {"code": code, "detail": detail, "seq": seq}
    )
    await events.emit(
        session,
        DeviceAlarmed(
            org_id=device.org_id,
            device_id=device.id,
            alarm=code,
            sequence=seq,
            at=at,
            details={"detail": detail},
        ),
    )


def _uuid(value: str | None) -> uuid.UUID | None:
    try:
        return uuid.UUID(value) if value else None
    except ValueError:
        return None


async def grant_upload(
    session: AsyncSession,
    device: Any,
    *,
    sha256: str,
    size: int,
    content_type: str,
    seconds: int,
) -> tuple[str, datetime]:
    """A one-time upload token for one photo (its SHA-256 and size are checked at PUT)."""
    token = secrets.token_urlsafe(32)
    expires = clock.now() + timedelta(seconds=seconds)
    session.add(
        MediaGrant(
            org_id=device.org_id,
            device_id=device.id,
            sha256=sha256,
            size=size,
            content_type=content_type[:100],
            token_hash=hashlib.sha256(token.encode()).hexdigest(),
            expires_at=expires,
            created_at=clock.now(),
        )
    )
    return token, expires
