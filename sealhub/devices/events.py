"""Events of the devices context (stored JSON: these fields plus "v", see platform.events)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, ClassVar

from sealhub.platform.events import Event


@dataclass(frozen=True, kw_only=True)
class StampPhoto:
    """One photo of a stamped page as events carry it."""

    sha256: str
    object_id: uuid.UUID | None


@dataclass(frozen=True, kw_only=True)
class DeviceStamped(Event):
    """A smart seal reported a press that was stored and counted on its application."""

    name: ClassVar[str] = "device.stamped"
    version: ClassVar[int] = 1
    device_id: uuid.UUID
    request_id: uuid.UUID | None
    item_id: uuid.UUID | None
    seal_id: uuid.UUID | None
    sequence: int
    photos: list[StampPhoto] = field(default_factory=list)
    at: datetime


@dataclass(frozen=True, kw_only=True)
class DeviceConnected(Event):
    """A device said hello on the broker (online)."""

    name: ClassVar[str] = "device.connected"
    version: ClassVar[int] = 1
    device_id: uuid.UUID
    at: datetime


@dataclass(frozen=True, kw_only=True)
class DeviceDisconnected(Event):
    """A device left the broker (last will) or missed its heartbeats (offline)."""

    name: ClassVar[str] = "device.disconnected"
    version: ClassVar[int] = 1
    device_id: uuid.UUID
    at: datetime
    reason: str


@dataclass(frozen=True, kw_only=True)
class DeviceAlarmed(Event):
    """A device raised an alarm (tamper, low battery, refused press...)."""

    name: ClassVar[str] = "device.alarmed"
    version: ClassVar[int] = 1
    device_id: uuid.UUID
    alarm: str
    sequence: int
    at: datetime
    details: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, kw_only=True)
class SealSwapped(Event):
    """The seal held by a device changed (bound, unbound or replaced)."""

    name: ClassVar[str] = "device.seal_swapped"
    version: ClassVar[int] = 1
    device_id: uuid.UUID
    old_seal_id: uuid.UUID | None
    new_seal_id: uuid.UUID | None


@dataclass(frozen=True, kw_only=True)
class CommandUpdated(Event):
    """A device command changed state (queued, sent, acknowledged, done, failed...)."""

    name: ClassVar[str] = "command.updated"
    version: ClassVar[int] = 1
    device_id: uuid.UUID
    command_id: uuid.UUID
    kind: str
    state: str
    request_id: uuid.UUID | None
