"""Device tables (private to this context).

Ingest writes the hot tables (`device_events`, `device_telemetry`) with prebuilt Core
statements in batches; everything else goes through the ORM like other contexts.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from sealhub.devices.policy import CommandState, DeviceStatus
from sealhub.platform import clock
from sealhub.platform.db.base import Base, CreatedUpdatedMixin, IdMixin, TenantMixin


class Device(IdMixin, TenantMixin, CreatedUpdatedMixin, Base):
    """One smart seal device of an organisation, with its twin (last reported state)."""

    __tablename__ = "devices"
    __table_args__ = (UniqueConstraint("serial"),)

    serial: Mapped[str] = mapped_column(String(64))
    name: Mapped[str] = mapped_column(String(100))
    model: Mapped[str] = mapped_column(String(60), default="")
    unit_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("org_units.id"), index=True)
    status: Mapped[str] = mapped_column(String(20), default=DeviceStatus.PROVISIONED)
    # keyed hash of the claim code on the device's label (proves possession on re-claim)
    claim_hash: Mapped[str] = mapped_column(String(64))
    # the MQTT password in Mosquitto's own `$7$` (PBKDF2-SHA512) format
    mqtt_password_hash: Mapped[str] = mapped_column(String(200))
    public_key_hex: Mapped[str] = mapped_column(String(64))
    # the offline-code secret, sealed with the master key (keepers derive codes from it)
    secret_sealed: Mapped[str] = mapped_column(Text)
    seal_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("seals.id"), default=None, unique=True
    )
    online: Mapped[bool] = mapped_column(default=False)
    last_seen_at: Mapped[datetime | None] = mapped_column(default=None)
    protocol_version: Mapped[str] = mapped_column(String(20), default="")
    firmware: Mapped[str] = mapped_column(String(60), default="")
    capabilities: Mapped[list[str]] = mapped_column(JSON, default=list)
    # battery, ink, location, lock, mode, camera, signal, storage... as last reported
    twin: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    # highest journal sequence stored and the hash that ends the stored chain
    journal_seq: Mapped[int] = mapped_column(default=0)
    journal_hash: Mapped[str] = mapped_column(String(64), default="")
    status_reason: Mapped[str] = mapped_column(String(500), default="")
    created_by: Mapped[uuid.UUID | None] = mapped_column(default=None)


class SealBinding(IdMixin, TenantMixin, Base):
    """A smart seal held by a device from `bound_at` to `unbound_at` (history of swaps)."""

    __tablename__ = "device_seal_bindings"
    __table_args__ = (Index("ix_device_seal_bindings_device_at", "device_id", "bound_at"),)

    device_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("devices.id", ondelete="CASCADE"))
    seal_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("seals.id"), index=True)
    bound_at: Mapped[datetime] = mapped_column(default=clock.now)
    bound_by: Mapped[uuid.UUID | None] = mapped_column(default=None)
    unbound_at: Mapped[datetime | None] = mapped_column(default=None)
    unbound_by: Mapped[uuid.UUID | None] = mapped_column(default=None)
    reason: Mapped[str] = mapped_column(String(500), default="")


class DeviceCommand(IdMixin, TenantMixin, Base):
    """One command to a device, persisted with its state (idempotent on the device by id)."""

    __tablename__ = "device_commands"
    __table_args__ = (
        Index("ix_device_commands_device_state", "device_id", "state"),
        Index("ix_device_commands_request", "org_id", "request_id"),
    )

    device_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("devices.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(40))
    params: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    state: Mapped[str] = mapped_column(String(20), default=CommandState.QUEUED)
    # for authorisations: the application and item they serve
    request_id: Mapped[uuid.UUID | None] = mapped_column(default=None)
    item_id: Mapped[uuid.UUID | None] = mapped_column(default=None)
    created_at: Mapped[datetime] = mapped_column(default=clock.now)
    created_by: Mapped[uuid.UUID | None] = mapped_column(default=None)
    sent_at: Mapped[datetime | None] = mapped_column(default=None)
    acked_at: Mapped[datetime | None] = mapped_column(default=None)
    finished_at: Mapped[datetime | None] = mapped_column(default=None)
    timeout_at: Mapped[datetime | None] = mapped_column(default=None)
    attempts: Mapped[int] = mapped_column(default=0)
    result: Mapped[dict[str, Any] | None] = mapped_column(JSON, default=None)
    error: Mapped[str] = mapped_column(String(500), default="")


class DeviceEvent(IdMixin, TenantMixin, Base):
    """One journal entry a device reported (stamp, alarm, unlock...), stored exactly once."""

    __tablename__ = "device_events"
    __table_args__ = (
        UniqueConstraint("device_id", "seq"),
        Index("ix_device_events_request", "org_id", "request_id"),
        Index("ix_device_events_device_at", "device_id", "at"),
    )

    device_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("devices.id", ondelete="CASCADE"))
    seq: Mapped[int]
    kind: Mapped[str] = mapped_column(String(40))
    at: Mapped[datetime]
    received_at: Mapped[datetime] = mapped_column(default=clock.now)
    request_id: Mapped[uuid.UUID | None] = mapped_column(default=None)
    item_id: Mapped[uuid.UUID | None] = mapped_column(default=None)
    seal_id: Mapped[uuid.UUID | None] = mapped_column(default=None)
    entry_hash: Mapped[str] = mapped_column(String(64), default="")
    prev_hash: Mapped[str] = mapped_column(String(64), default="")
    # how it came: mqtt or bundle (the no-upload edition)
    source: Mapped[str] = mapped_column(String(10), default="mqtt")
    body: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)


class DeviceTelemetry(IdMixin, TenantMixin, Base):
    """A heartbeat's measurements (raw rows, thinned out as they age)."""

    __tablename__ = "device_telemetry"
    __table_args__ = (Index("ix_device_telemetry_device_at", "device_id", "at"),)

    device_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("devices.id", ondelete="CASCADE"))
    seq: Mapped[int]
    at: Mapped[datetime]
    battery: Mapped[int | None] = mapped_column(default=None)
    ink_used: Mapped[int | None] = mapped_column(default=None)
    ink_capacity: Mapped[int | None] = mapped_column(default=None)
    signal: Mapped[int | None] = mapped_column(default=None)
    readings: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)


class MediaGrant(IdMixin, TenantMixin, Base):
    """A short-lived upload URL handed to a device for one photo or video segment."""

    __tablename__ = "device_media"
    __table_args__ = (Index("ix_device_media_device_sha", "device_id", "sha256"),)

    device_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("devices.id", ondelete="CASCADE"))
    sha256: Mapped[str] = mapped_column(String(64))
    size: Mapped[int]
    content_type: Mapped[str] = mapped_column(String(100))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    expires_at: Mapped[datetime]
    created_at: Mapped[datetime] = mapped_column(default=clock.now)
    object_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("stored_objects.id"), default=None
    )
    uploaded_at: Mapped[datetime | None] = mapped_column(default=None)


class Fingerprint(IdMixin, TenantMixin, Base):
    """A fingerprint slot of a device bound to a member (the template stays on the device)."""

    __tablename__ = "device_fingerprints"
    __table_args__ = (UniqueConstraint("device_id", "slot"),)

    device_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("devices.id", ondelete="CASCADE"))
    slot: Mapped[int]
    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id"), index=True)
    enrolled_at: Mapped[datetime | None] = mapped_column(default=None)
    created_at: Mapped[datetime] = mapped_column(default=clock.now)
    command_id: Mapped[uuid.UUID | None] = mapped_column(default=None)
