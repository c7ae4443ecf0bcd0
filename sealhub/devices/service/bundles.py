"""Offline bundles (no-upload edition, 公检法版): a device's journal exported over USB,
verified in full and stored all or nothing."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import orjson
from sqlalchemy.ext.asyncio import AsyncSession

from sealhub.devices import repository
from sealhub.devices.errors import BundleRejected
from sealhub.devices.models import Device
from sealhub.devices.protocol import codec
from sealhub.devices.protocol import messages as m
from sealhub.devices.protocol.bundle import BundleError, verify_bundle
from sealhub.devices.protocol.journal import record_hash
from sealhub.devices.protocol.signing import Verifier
from sealhub.devices.repository import DeviceRepository
from sealhub.devices.service._common import TARGET, label, label_en
from sealhub.platform import audit, clock
from sealhub.platform.actor import Actor, system_in
from sealhub.platform.ids import new_id


@dataclass(frozen=True)
class Imported:
    device_id: uuid.UUID
    records: int
    stored: int
    already: int
    first: int
    last: int


async def import_bundle(
    session: AsyncSession, actor: Actor, device_id: uuid.UUID, data: bytes
) -> Imported:
    """Verify a device-signed bundle (signature, order, chain, completeness) and store its
    records; any damage rejects the whole bundle with its position, storing nothing."""
    device = await DeviceRepository(session, actor).get_for_update(device_id)
    return await _import(session, actor, device, data)


async def _import(session: AsyncSession, actor: Actor, device: Device, data: bytes) -> Imported:
    verifier = Verifier.from_hex(device.public_key_hex)
    try:
        bundle = verify_bundle(
            data,
            lambda serial: verifier if serial == device.serial else None,
            device=device.serial,
        )
    except BundleError as exc:
        raise BundleRejected(
            reason=exc.reason,
            position="header" if exc.position is None else str(exc.position),
            line=exc.line,
        ) from None
    records = bundle.records
    conn = await session.connection()
    stored = await repository.stored_pairs(conn, [device.id], [r.n for r in records])
    hashes = await repository.entry_hashes(session, device.id, [n for _, n in stored])
    rows = []
    already = 0
    for pos, rec in enumerate(records):
        h = record_hash(rec)
        if rec.n in hashes:
            if hashes[rec.n] != h:  # the same number stored with other content
                raise BundleRejected(reason="conflict", position=str(pos), line=pos + 2)
            already += 1
            continue
        rows.append(_row(device, rec, h))
    if rows:
        await repository.write_batch(
            conn, events=rows, telemetry=[], twins=[], seen=[], journals=[]
        )
        last = records[-1]
        if last.n > device.journal_seq and (
            records[0].n <= device.journal_seq + 1 or device.journal_seq == 0
        ):
            device.journal_seq, device.journal_hash = last.n, record_hash(last)
    await session.flush()
    first_n, last_n = (records[0].n, records[-1].n) if records else (0, 0)
    await audit.record(
        session,
        actor,
        "device.import_bundle",
        TARGET,
        device.id,
        summary=audit.Summary(
            f"导入设备{label(device)}的离线记录包："
            f"{len(rows)} 条新记录（第 {first_n}–{last_n} 条）",
            f"Imported an offline bundle of {label_en(device)}: {len(rows)} new records "
            f"({first_n}-{last_n})",
        ),
        after={"records": len(records), "stored": len(rows), "already": already},
    )
    return Imported(device.id, len(records), len(rows), already, first_n, last_n)


def _row(device: Device, rec: m.Record, entry_hash: str) -> dict[str, Any]:
    data = rec.data
    item = getattr(data, "item", None)
    return {
        "id": new_id(),
        "org_id": device.org_id,
        "device_id": device.id,
        "seq": rec.n,
        "kind": rec.type,
        "at": _at(rec.at),
        "received_at": clock.now(),
        "request_id": None,
        "item_id": _uuid(item),
        "seal_id": device.seal_id,
        "entry_hash": entry_hash,
        "prev_hash": rec.prev,
        "source": "bundle",
        "body": codec.as_json(data),
    }


def _at(ms: int) -> datetime:
    return datetime.fromtimestamp(ms / 1000, tz=UTC)


def _uuid(value: object) -> uuid.UUID | None:
    try:
        return uuid.UUID(str(value)) if value else None
    except ValueError:
        return None


async def import_bundle_as_system(session: AsyncSession, data: bytes) -> Imported:
    """The CLI's import: the bundle names its device; its organisation's system acts."""
    serial = _serial_in(data)
    device = await repository.serial_exists(session, serial) if serial else None
    if device is None:
        raise BundleRejected(reason="foreign", position="header", line=1)
    locked = await DeviceRepository(session, system_in(device.org_id)).get_for_update(device.id)
    return await _import(session, system_in(device.org_id), locked, data)


def _serial_in(data: bytes) -> str | None:
    try:
        header = orjson.loads(data.split(b"\n", 1)[0])
    except orjson.JSONDecodeError:
        return None
    serial = header.get("device") if isinstance(header, dict) else None
    return serial if isinstance(serial, str) else None
