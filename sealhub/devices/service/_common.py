"""Helpers shared by the devices service modules (private)."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable

from sqlalchemy.ext.asyncio import AsyncSession

from sealhub.devices.events import CommandUpdated
from sealhub.devices.models import Device, DeviceCommand
from sealhub.platform import events
from sealhub.platform.db import aftercommit

TARGET = "device"
COMMAND = "command"

# The process's MQTT side registers here to hear of commands to send once a transaction
# commits; with no broker in this process the periodic sweep of another one sends them.
Kick = Callable[[uuid.UUID], Awaitable[None]]
_KICKS: list[Kick] = []


def on_commands(kick: Kick) -> None:
    if kick not in _KICKS:
        _KICKS.append(kick)


def off_commands(kick: Kick) -> None:
    if kick in _KICKS:
        _KICKS.remove(kick)


def kick_after_commit(session: AsyncSession, device_id: uuid.UUID) -> None:
    """Send the device's queued commands as soon as this transaction has committed."""

    async def run() -> None:
        for kick in list(_KICKS):
            await kick(device_id)

    if _KICKS:
        aftercommit.call(session, run)


def label(device: Device) -> str:
    return f"“{device.name}”（{device.serial}）"


def label_en(device: Device) -> str:
    return f"“{device.name}” ({device.serial})"


async def command_changed(session: AsyncSession, cmd: DeviceCommand) -> None:
    await events.emit(
        session,
        CommandUpdated(
            org_id=cmd.org_id,
            device_id=cmd.device_id,
            command_id=cmd.id,
            kind=cmd.kind,
            state=cmd.state,
            request_id=cmd.request_id,
        ),
    )
