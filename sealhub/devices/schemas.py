"""Devices' shapes in and out, and the console's labels."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from sealhub.devices.policy import (
    COMMAND_STATE,
    DEVICE_STATUS,
    CommandKind,
    CommandState,
    DeviceStatus,
)
from sealhub.platform.types import Name, StrictModel

__all__ = [
    "ApplicationCodeOut",
    "BindIn",
    "BindingOut",
    "CommandIn",
    "CommandOut",
    "Credentials",
    "DeviceEventOut",
    "DeviceOut",
    "FingerprintIn",
    "FingerprintOut",
    "MediaGrantOut",
    "OfflineCodeIn",
    "OfflineCodeOut",
    "ProvisionIn",
    "ProvisionedOut",
    "ReasonIn",
    "TelemetryOut",
    "TransferIn",
    "enum_labels",
]


# ---- in ----


class ProvisionIn(StrictModel):
    """Register a device by the serial and claim code on its label, or the label's QR."""

    serial: str | None = Field(default=None, pattern=r"^[A-Za-z0-9_-]{4,64}$")
    claim_code: str | None = Field(default=None, min_length=6, max_length=64)
    # `sealhub://device?serial=...&claim=...`: the QR printed beside the serial
    qr: str | None = Field(default=None, max_length=500)
    name: Name = Field(min_length=1, max_length=100)
    model: str = Field(default="", max_length=60)
    unit_id: uuid.UUID
    # a device that made its own key pair sends the public half; otherwise the
    # platform makes one and returns the seed once, for the installer to load
    public_key_hex: str | None = Field(default=None, pattern=r"^[0-9a-f]{64}$")


class ReasonIn(StrictModel):
    reason: str = Field(default="", max_length=500)


class BindIn(StrictModel):
    seal_id: uuid.UUID
    reason: str = Field(default="", max_length=500)


class TransferIn(StrictModel):
    unit_id: uuid.UUID
    reason: str = Field(default="", max_length=500)


class CommandIn(StrictModel):
    kind: CommandKind
    params: dict[str, Any] = Field(default_factory=dict)
    timeout_seconds: int = Field(default=300, ge=5, le=7 * 24 * 3600)


class FingerprintIn(StrictModel):
    slot: int = Field(ge=0, le=99)
    user_id: uuid.UUID


# ---- out ----


class Credentials(BaseModel):
    """Shown once at provisioning: the platform keeps only hashes and sealed copies."""

    broker_url: str
    mqtt_username: str
    mqtt_password: str
    ed25519_seed_hex: str | None
    # downlinks are signed with this key (protocol §2.3)
    platform_public_key_hex: str
    device_secret_hex: str


class DeviceOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    serial: str
    name: str
    model: str
    unit_id: uuid.UUID
    status: DeviceStatus
    status_reason: str
    seal_id: uuid.UUID | None
    online: bool
    last_seen_at: datetime | None
    protocol_version: str
    firmware: str
    capabilities: list[str]
    twin: dict[str, Any]
    journal_seq: int
    public_key_hex: str
    created_at: datetime
    updated_at: datetime


class ProvisionedOut(BaseModel):
    device: DeviceOut
    credentials: Credentials


class CommandOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    device_id: uuid.UUID
    kind: str
    params: dict[str, Any]
    state: CommandState
    request_id: uuid.UUID | None
    item_id: uuid.UUID | None
    created_at: datetime
    created_by: uuid.UUID | None
    sent_at: datetime | None
    acked_at: datetime | None
    finished_at: datetime | None
    timeout_at: datetime | None
    attempts: int
    result: dict[str, Any] | None
    error: str


class DeviceEventOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    device_id: uuid.UUID
    seq: int
    kind: str
    at: datetime
    received_at: datetime
    request_id: uuid.UUID | None
    item_id: uuid.UUID | None
    seal_id: uuid.UUID | None
    entry_hash: str
    source: str
    body: dict[str, Any]


class TelemetryOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    at: datetime
    battery: int | None
    ink_used: int | None
    ink_capacity: int | None
    signal: int | None
    readings: dict[str, Any]


class BindingOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    device_id: uuid.UUID
    seal_id: uuid.UUID
    bound_at: datetime
    bound_by: uuid.UUID | None
    unbound_at: datetime | None
    unbound_by: uuid.UUID | None
    reason: str


class FingerprintOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    device_id: uuid.UUID
    slot: int
    user_id: uuid.UUID
    enrolled_at: datetime | None
    command_id: uuid.UUID | None


class MediaGrantOut(BaseModel):
    grant_id: uuid.UUID
    url: str
    expires_at: datetime


class ApplicationCodeOut(BaseModel):
    item_id: uuid.UUID
    seal_id: uuid.UUID
    code: str


class OfflineCodeIn(StrictModel):
    user_id: uuid.UUID


class OfflineCodeOut(BaseModel):
    code: str
    valid_until: datetime


def enum_labels() -> dict[str, list[dict[str, Any]]]:
    """Device statuses and command states with zh/en labels and tag colours."""
    return {"device_status": DEVICE_STATUS.labels(), "command_state": COMMAND_STATE.labels()}


class ImportedOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    device_id: uuid.UUID
    records: int
    stored: int
    already: int
    first: int
    last: int
