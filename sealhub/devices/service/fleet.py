"""The fleet: provisioning, status, transfer, seal binding and reads of devices."""

from __future__ import annotations

import base64
import uuid
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from sealhub.devices import credentials, policy, repository
from sealhub.devices.errors import (
    BadClaimCode,
    BadPublicKey,
    NotBound,
    SealBoundElsewhere,
    SealNotSmart,
    SerialTaken,
    UnitNotFound,
)
from sealhub.devices.events import SealSwapped
from sealhub.devices.models import Device, SealBinding
from sealhub.devices.policy import DeviceAction, DeviceStatus
from sealhub.devices.repository import DeviceRepository, EventRepository, serial_exists
from sealhub.devices.schemas import (
    BindingOut,
    Credentials,
    DeviceEventOut,
    DeviceOut,
    ProvisionedOut,
    ProvisionIn,
    TelemetryOut,
)
from sealhub.devices.service import alarms
from sealhub.devices.service._common import TARGET, label, label_en
from sealhub.identity import service as identity_service
from sealhub.platform import audit, clock
from sealhub.platform.actor import Actor
from sealhub.platform.crypto import Envelope, Sealed
from sealhub.platform.ids import new_id
from sealhub.requests import service as requests_service
from sealhub.requests.errors import RequestNotFound
from sealhub.seals import service as seals_service
from sealhub.seals.schemas import PageRequest, SealKind

DEVICE_SORTS = {"created_at", "name", "serial", "last_seen_at"}


def _secret_aad(device_id: uuid.UUID) -> bytes:
    return b"sealhub-device-secret" + device_id.bytes


def seal_secret(envelope: Envelope, device_id: uuid.UUID, secret: bytes) -> str:
    sealed = envelope.seal(secret, _secret_aad(device_id))
    return ".".join(base64.b64encode(x).decode() for x in (sealed.wrapped_key, sealed.ciphertext))


def open_secret(envelope: Envelope, device: Device) -> bytes:
    wrapped, ciphertext = (base64.b64decode(x) for x in device.secret_sealed.split("."))
    return envelope.open(Sealed(ciphertext=ciphertext, wrapped_key=wrapped), _secret_aad(device.id))


async def provision(
    session: AsyncSession,
    envelope: Envelope,
    actor: Actor,
    *,
    data: ProvisionIn,
    broker_url: str,
    platform_public_hex: str,
) -> ProvisionedOut:
    """Register a device by serial and claim code (or its QR) and issue its credentials once."""
    if data.qr:
        found = credentials.parse_qr(data.qr)
        if found is None:
            raise BadClaimCode(reason="qr")
        serial, claim = found
    elif data.serial and data.claim_code:
        serial, claim = data.serial, data.claim_code
    else:
        raise BadClaimCode(reason="format")
    if not await identity_service.unit_exists(session, actor.org_id, data.unit_id):
        raise UnitNotFound()
    claim_hash = envelope.mac(b"claim:" + serial.encode() + b":" + claim.encode())
    existing = await serial_exists(session, serial)
    if existing is not None:
        raise SerialTaken(serial=serial)
    seed_hex: str | None = None
    if data.public_key_hex:
        public_hex = data.public_key_hex
        try:
            credentials.check_public(public_hex)
        except ValueError as exc:
            raise BadPublicKey() from exc
    else:
        seed_hex, public_hex = credentials.new_key_pair()
    password, secret = credentials.new_password(), credentials.new_secret()
    now = clock.now()
    device = Device(
        id=new_id(),
        org_id=actor.org_id,
        serial=serial,
        name=data.name,
        model=data.model,
        unit_id=data.unit_id,
        status=DeviceStatus.PROVISIONED,
        claim_hash=claim_hash,
        mqtt_password_hash=credentials.hash_password(password),
        public_key_hex=public_hex,
        secret_sealed="",
        capabilities=[],
        twin={},
        created_by=actor.user_id,
        created_at=now,
        updated_at=now,
    )
    device.secret_sealed = seal_secret(envelope, device.id, secret)
    session.add(device)
    await session.flush()
    await audit.record(
        session,
        actor,
        "device.provision",
        TARGET,
        device.id,
        summary=audit.Summary(f"登记设备{label(device)}", f"Provisioned device {label_en(device)}"),
        after={"serial": serial, "unit_id": str(data.unit_id), "public_key": public_hex},
    )
    creds = Credentials(
        broker_url=broker_url,
        mqtt_username=serial,
        platform_public_key_hex=platform_public_hex,
        mqtt_password=password,
        ed25519_seed_hex=seed_hex,
        device_secret_hex=secret.hex(),
    )
    return ProvisionedOut(device=DeviceOut.model_validate(device), credentials=creds)


async def list_devices(
    session: AsyncSession,
    actor: Actor,
    *,
    status: DeviceStatus | None = None,
    online: bool | None = None,
    unit_id: uuid.UUID | None = None,
    seal_id: uuid.UUID | None = None,
    q: str | None = None,
    paging: PageRequest,
) -> tuple[list[DeviceOut], int]:
    """Devices the actor may see, filtered, with their twins."""
    field, desc = paging.sort_key(DEVICE_SORTS, "-created_at")
    column = getattr(Device, field)
    order = (column.desc() if desc else column.asc(), Device.id.desc() if desc else Device.id)
    rows, total = await DeviceRepository(session, actor).search(
        status=status,
        online=online,
        unit_id=unit_id,
        seal_id=seal_id,
        q=q,
        order=order,
        offset=paging.offset,
        limit=paging.page_size,
    )
    return [DeviceOut.model_validate(d) for d in rows], total


async def get_device(session: AsyncSession, actor: Actor, device_id: uuid.UUID) -> DeviceOut:
    """One device with its twin."""
    return DeviceOut.model_validate(await DeviceRepository(session, actor).get(device_id))


async def _move(
    session: AsyncSession,
    actor: Actor,
    device_id: uuid.UUID,
    action: DeviceAction,
    reason: str,
    words: tuple[str, str],
) -> DeviceOut:
    device = await DeviceRepository(session, actor).get_for_update(device_id)
    before = device.status
    device.status = policy.DEVICE_STATUS.transition(device.status, action)
    device.status_reason = reason
    device.updated_at = clock.now()
    await session.flush()
    await audit.record(
        session,
        actor,
        f"device.{action}",
        TARGET,
        device.id,
        summary=audit.Summary(
            f"{words[0]}设备{label(device)}：{reason}",
            f"{words[1]} device {label_en(device)}: {reason}",
        ),
        before={"status": before},
        after={"status": device.status, "reason": reason},
    )
    return DeviceOut.model_validate(device)


async def suspend(
    session: AsyncSession, actor: Actor, device_id: uuid.UUID, *, reason: str
) -> DeviceOut:
    """Suspend a device: it may no longer connect nor take commands."""
    return await _move(
        session, actor, device_id, DeviceAction.SUSPEND, reason, ("停用", "Suspended")
    )


async def resume(
    session: AsyncSession, actor: Actor, device_id: uuid.UUID, *, reason: str
) -> DeviceOut:
    """Put a suspended device back in service."""
    return await _move(session, actor, device_id, DeviceAction.RESUME, reason, ("启用", "Resumed"))


async def decommission(
    session: AsyncSession, actor: Actor, device_id: uuid.UUID, *, reason: str
) -> DeviceOut:
    """Retire a device for good (its seal is unbound; its records stay)."""
    device = await DeviceRepository(session, actor).get_for_update(device_id)
    if device.seal_id is not None:
        await _unbind(session, actor, device, reason or "decommission")
    return await _move(
        session, actor, device_id, DeviceAction.DECOMMISSION, reason, ("退役", "Decommissioned")
    )


async def transfer(
    session: AsyncSession, actor: Actor, device_id: uuid.UUID, *, unit_id: uuid.UUID, reason: str
) -> DeviceOut:
    """Move a device to another unit of the organisation."""
    device = await DeviceRepository(session, actor).get_for_update(device_id)
    if not await identity_service.unit_exists(session, actor.org_id, unit_id):
        raise UnitNotFound()
    before = device.unit_id
    device.unit_id = unit_id
    device.updated_at = clock.now()
    await session.flush()
    await audit.record(
        session,
        actor,
        "device.transfer",
        TARGET,
        device.id,
        summary=audit.Summary(
            f"设备{label(device)}转移到其他部门：{reason}",
            f"Transferred device {label_en(device)} to another unit: {reason}",
        ),
        before={"unit_id": str(before)},
        after={"unit_id": str(unit_id)},
    )
    return DeviceOut.model_validate(device)


async def bind(
    session: AsyncSession, actor: Actor, device_id: uuid.UUID, *, seal_id: uuid.UUID, reason: str
) -> DeviceOut:
    """Put a smart seal in a device (one device per seal; a swap is recorded and alerted)."""
    repo = DeviceRepository(session, actor)
    device = await repo.get_for_update(device_id)
    policy.DEVICE_STATUS.require(device.status, DeviceAction.SUSPEND)  # not decommissioned
    seal = await seals_service.get_brief(session, actor, seal_id)
    if seal.kind != SealKind.SMART:
        raise SealNotSmart()
    holder = await repo.by_seal(seal_id)
    if holder is not None and holder.id != device.id:
        raise SealBoundElsewhere(serial=holder.serial)
    if device.seal_id == seal_id:
        return DeviceOut.model_validate(device)
    old = device.seal_id
    if old is not None:
        await _unbind(session, actor, device, reason or "swap", emit=False)
    now = clock.now()
    device.seal_id = seal_id
    device.updated_at = now
    session.add(
        SealBinding(
            org_id=actor.org_id,
            device_id=device.id,
            seal_id=seal_id,
            bound_at=now,
            bound_by=actor.user_id if not actor.is_system else None,
            reason=reason,
        )
    )
    await session.flush()
    await audit.record(
        session,
        actor,
        "device.bind",
        TARGET,
        device.id,
        summary=audit.Summary(
            f"设备{label(device)}装入印章“{seal.name}”" + ("（更换）" if old else ""),
            f"Device {label_en(device)} now holds seal “{seal.name}”" + (" (swap)" if old else ""),
        ),
        before={"seal_id": str(old) if old else None},
        after={"seal_id": str(seal_id)},
        event=SealSwapped(
            org_id=actor.org_id, device_id=device.id, old_seal_id=old, new_seal_id=seal_id
        ),
    )
    if old is not None:
        await alarms.raise_alert(
            session,
            actor.org_id,
            "device.seal_swapped",
            device.id,
            {"old_seal_id": str(old), "new_seal_id": str(seal_id), "reason": reason},
        )
    return DeviceOut.model_validate(device)


async def unbind(
    session: AsyncSession, actor: Actor, device_id: uuid.UUID, *, reason: str
) -> DeviceOut:
    """Take the seal out of a device."""
    device = await DeviceRepository(session, actor).get_for_update(device_id)
    if device.seal_id is None:
        raise NotBound()
    await _unbind(session, actor, device, reason)
    return DeviceOut.model_validate(device)


async def _unbind(
    session: AsyncSession, actor: Actor, device: Device, reason: str, *, emit: bool = True
) -> None:
    binding = await DeviceRepository(session, actor).open_binding(device.id)
    now = clock.now()
    if binding is not None:
        binding.unbound_at = now
        binding.unbound_by = actor.user_id if not actor.is_system else None
    old, device.seal_id = device.seal_id, None
    device.updated_at = now
    await session.flush()
    await audit.record(
        session,
        actor,
        "device.unbind",
        TARGET,
        device.id,
        summary=audit.Summary(
            f"设备{label(device)}取出印章：{reason}",
            f"Took the seal out of device {label_en(device)}: {reason}",
        ),
        before={"seal_id": str(old) if old else None},
        after={"seal_id": None},
        event=SealSwapped(
            org_id=actor.org_id, device_id=device.id, old_seal_id=old, new_seal_id=None
        )
        if emit
        else None,
    )


async def bindings(session: AsyncSession, actor: Actor, device_id: uuid.UUID) -> list[BindingOut]:
    """The device's seals over time, newest first."""
    repo = DeviceRepository(session, actor)
    await repo.get(device_id)
    return [BindingOut.model_validate(b) for b in await repo.bindings(device_id)]


async def telemetry(
    session: AsyncSession,
    actor: Actor,
    device_id: uuid.UUID,
    *,
    since: datetime | None = None,
    limit: int = 500,
) -> list[TelemetryOut]:
    """The device's heartbeats, newest first (older ones thinned out)."""
    repo = DeviceRepository(session, actor)
    await repo.get(device_id)
    return [TelemetryOut.model_validate(t) for t in await repo.telemetry(device_id, since, limit)]


async def device_events(
    session: AsyncSession,
    actor: Actor,
    device_id: uuid.UUID,
    *,
    kind: str | None = None,
    paging: PageRequest,
) -> tuple[list[DeviceEventOut], int]:
    """A device's journal (stamps, alarms, unlocks), newest first."""
    await DeviceRepository(session, actor).get(device_id)
    rows, total = await EventRepository(session, actor).search(
        device_id=device_id,
        request_id=None,
        kind=kind,
        offset=paging.offset,
        limit=paging.page_size,
    )
    return [DeviceEventOut.model_validate(r) for r in rows], total


async def request_events(
    session: AsyncSession, actor: Actor, request_id: uuid.UUID, *, paging: PageRequest
) -> tuple[list[DeviceEventOut], int]:
    """Device events of an application the actor may read (its presses and photos)."""
    if not await requests_service.can_read(session, actor, request_id):
        raise RequestNotFound()
    rows, total = await EventRepository(session, actor).search(
        device_id=None,
        request_id=request_id,
        kind=None,
        offset=paging.offset,
        limit=paging.page_size,
    )
    return [DeviceEventOut.model_validate(r) for r in rows], total


async def mosquitto_passwords(session: AsyncSession) -> str:
    """Lines for Mosquitto's password file: every device that may connect (operator's CLI)."""
    statuses = [str(s) for s in policy.CONNECTABLE]
    lines = await repository.password_lines(session, statuses)
    return "".join(f"{serial}:{hashed}\n" for serial, hashed in lines)
