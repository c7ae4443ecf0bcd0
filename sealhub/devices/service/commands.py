"""Commands to devices: create, cancel, retry, list; fingerprints (which are commands too)."""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from sealhub.devices import policy, wire
from sealhub.devices.errors import BadCommand, DeviceInactive, FingerprintNotFound
from sealhub.devices.models import Device, DeviceCommand, Fingerprint
from sealhub.devices.policy import CommandAction, CommandKind, CommandState
from sealhub.devices.repository import CommandRepository, DeviceRepository
from sealhub.devices.schemas import CommandOut, FingerprintOut
from sealhub.devices.service._common import (
    COMMAND,
    command_changed,
    kick_after_commit,
    label,
    label_en,
)
from sealhub.identity import service as identity_service
from sealhub.platform import audit, clock
from sealhub.platform.actor import Actor
from sealhub.seals.schemas import PageRequest

_WORDS: dict[str, tuple[str, str]] = {
    CommandKind.AUTHORISE: ("下发用印授权", "authorisation"),
    CommandKind.REVOKE: ("撤销授权", "revocation"),
    CommandKind.LOCK: ("远程锁定", "remote lock"),
    CommandKind.UNLOCK: ("临时解锁", "temporary unlock"),
    CommandKind.MODE: ("切换模式", "mode switch"),
    CommandKind.FINGERPRINT_ENROL: ("录入指纹", "fingerprint enrolment"),
    CommandKind.FINGERPRINT_DELETE: ("删除指纹", "fingerprint deletion"),
    CommandKind.CAMERA: ("开关摄像头", "camera switch"),
    CommandKind.CONFIG: ("修改配置", "configuration"),
    CommandKind.TIME_SYNC: ("校时", "time sync"),
    CommandKind.REBOOT: ("重启", "reboot"),
}


async def issue(
    session: AsyncSession,
    actor: Actor,
    device: Device,
    kind: CommandKind,
    params: dict[str, Any],
    *,
    timeout_seconds: int = 300,
    request_id: uuid.UUID | None = None,
    item_id: uuid.UUID | None = None,
) -> DeviceCommand:
    """Queue a command (sent right after commit when the device is online)."""
    if device.status not in policy.CONNECTABLE:
        raise DeviceInactive(current=device.status)
    now = clock.now()
    cmd = DeviceCommand(
        org_id=device.org_id,
        device_id=device.id,
        kind=str(kind),
        params=params,
        state=CommandState.QUEUED,
        request_id=request_id,
        item_id=item_id,
        created_at=now,
        created_by=None if actor.is_system else actor.user_id,
        timeout_at=now + timedelta(seconds=timeout_seconds),
    )
    session.add(cmd)
    await session.flush()
    zh, en = _WORDS[kind]
    await audit.record(
        session,
        actor,
        "command.create",
        COMMAND,
        cmd.id,
        summary=audit.Summary(
            f"向设备{label(device)}下发指令：{zh}", f"Sent a {en} to device {label_en(device)}"
        ),
        after={"device_id": str(device.id), "kind": cmd.kind, "params": params},
    )
    await command_changed(session, cmd)
    kick_after_commit(session, device.id)
    return cmd


async def create_command(
    session: AsyncSession,
    actor: Actor,
    device_id: uuid.UUID,
    *,
    kind: CommandKind,
    params: dict[str, Any],
    timeout_seconds: int = 300,
) -> CommandOut:
    """A member sends a command to a device (authorisations come from approvals only)."""
    if kind not in policy.MANUAL_KINDS:
        raise BadCommand(reason="kind", kind=str(kind))
    device = await DeviceRepository(session, actor).get_for_update(device_id)
    if kind == CommandKind.TIME_SYNC and "time" not in params:
        # the platform's clock, as the protocol's time sync carries it
        params = {**params, "time": int(clock.now().timestamp() * 1000)}
    _check_params(kind, params)
    cmd = await issue(session, actor, device, kind, params, timeout_seconds=timeout_seconds)
    return CommandOut.model_validate(cmd)


def _check_params(kind: CommandKind, params: dict[str, Any]) -> None:
    """The protocol's own schema for the command's parameters."""
    problem = wire.command_params_problem(str(kind), params)
    if problem:
        raise BadCommand(reason="params", problem=problem)


async def list_commands(
    session: AsyncSession,
    actor: Actor,
    device_id: uuid.UUID,
    *,
    state: CommandState | None = None,
    paging: PageRequest,
) -> tuple[list[CommandOut], int]:
    """A device's commands, newest first."""
    await DeviceRepository(session, actor).get(device_id)
    rows, total = await CommandRepository(session, actor).for_device(
        device_id, state=state, offset=paging.offset, limit=paging.page_size
    )
    return [CommandOut.model_validate(c) for c in rows], total


async def _own_command(
    session: AsyncSession, actor: Actor, device_id: uuid.UUID, command_id: uuid.UUID
) -> tuple[Device, DeviceCommand]:
    device = await DeviceRepository(session, actor).get_for_update(device_id)
    cmd = await CommandRepository(session, actor).get_for_update(command_id)
    if cmd.device_id != device.id:
        raise CommandRepository.not_found()
    return device, cmd


async def cancel_command(
    session: AsyncSession, actor: Actor, device_id: uuid.UUID, command_id: uuid.UUID
) -> CommandOut:
    """Cancel a command not yet acknowledged."""
    device, cmd = await _own_command(session, actor, device_id, command_id)
    before = cmd.state
    cmd.state = policy.COMMAND_STATE.transition(cmd.state, CommandAction.CANCEL)
    cmd.finished_at = clock.now()
    await session.flush()
    await audit.record(
        session,
        actor,
        "command.cancel",
        COMMAND,
        cmd.id,
        summary=audit.Summary(
            f"取消设备{label(device)}的指令", f"Cancelled a command to {label_en(device)}"
        ),
        before={"state": before},
        after={"state": cmd.state},
    )
    await command_changed(session, cmd)
    return CommandOut.model_validate(cmd)


async def retry_command(
    session: AsyncSession, actor: Actor, device_id: uuid.UUID, command_id: uuid.UUID
) -> CommandOut:
    """Queue a failed, timed-out or cancelled command again (same id: the device dedupes)."""
    device, cmd = await _own_command(session, actor, device_id, command_id)
    if device.status not in policy.CONNECTABLE:
        raise DeviceInactive(current=device.status)
    before = cmd.state
    cmd.state = policy.COMMAND_STATE.transition(cmd.state, CommandAction.RETRY)
    now = clock.now()
    span = (cmd.timeout_at - cmd.created_at) if cmd.timeout_at else timedelta(minutes=5)
    cmd.timeout_at, cmd.finished_at, cmd.error = now + span, None, ""
    await session.flush()
    await audit.record(
        session,
        actor,
        "command.retry",
        COMMAND,
        cmd.id,
        summary=audit.Summary(
            f"重试设备{label(device)}的指令", f"Retried a command to {label_en(device)}"
        ),
        before={"state": before},
        after={"state": cmd.state},
    )
    await command_changed(session, cmd)
    kick_after_commit(session, device.id)
    return CommandOut.model_validate(cmd)


# ---- fingerprints ----


async def list_fingerprints(
    session: AsyncSession, actor: Actor, device_id: uuid.UUID
) -> list[FingerprintOut]:
    """The device's fingerprint slots and their members."""
    repo = DeviceRepository(session, actor)
    await repo.get(device_id)
    return [FingerprintOut.model_validate(f) for f in await repo.fingerprints(device_id)]


async def enrol_fingerprint(
    session: AsyncSession, actor: Actor, device_id: uuid.UUID, *, slot: int, user_id: uuid.UUID
) -> FingerprintOut:
    """Bind a slot to a member and ask the device to enrol the finger presented next."""
    repo = DeviceRepository(session, actor)
    device = await repo.get_for_update(device_id)
    info = (await identity_service.members_info(session, actor.org_id, [user_id])).get(user_id)
    if info is None or info.status != "active":
        raise BadCommand(reason="not_member")
    if await repo.fingerprint(device.id, slot) is not None:
        raise BadCommand(reason="slot_taken", slot=slot)
    params = {"slot": slot, "member": str(user_id)}
    cmd = await issue(session, actor, device, CommandKind.FINGERPRINT_ENROL, params)
    fp = Fingerprint(
        org_id=device.org_id,
        device_id=device.id,
        slot=slot,
        user_id=user_id,
        command_id=cmd.id,
        created_at=clock.now(),
    )
    session.add(fp)
    await session.flush()
    return FingerprintOut.model_validate(fp)


async def delete_fingerprint(
    session: AsyncSession, actor: Actor, device_id: uuid.UUID, fingerprint_id: uuid.UUID
) -> CommandOut:
    """Free a slot: the device deletes the template it holds there."""
    repo = DeviceRepository(session, actor)
    device = await repo.get_for_update(device_id)
    fp = next((f for f in await repo.fingerprints(device.id) if f.id == fingerprint_id), None)
    if fp is None:
        raise FingerprintNotFound()
    params = {"slot": fp.slot}
    cmd = await issue(session, actor, device, CommandKind.FINGERPRINT_DELETE, params)
    await repo.delete_fingerprint(fp)
    return CommandOut.model_validate(cmd)
