"""Tenant-bound queries on devices, and the prebuilt statements of the ingest hot path."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

import orjson
from sqlalchemy import JSON, ColumnElement, bindparam, delete, insert, select, true, update
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from sealhub.devices.errors import CommandNotFound, DeviceNotFound
from sealhub.devices.models import (
    Device,
    DeviceCommand,
    DeviceEvent,
    DeviceTelemetry,
    Fingerprint,
    MediaGrant,
    SealBinding,
)
from sealhub.devices.policy import OPEN_COMMANDS
from sealhub.platform.actor import DataScope
from sealhub.platform.db.repository import TenantRepository, page


class DeviceRepository(TenantRepository[Device]):
    model = Device
    scope_unit = "unit_id"
    not_found = DeviceNotFound

    def scope_clause(self) -> ColumnElement[bool]:
        if self.actor.data_scope == DataScope.ORG:
            return true()
        return super().scope_clause()

    async def by_seal(self, seal_id: uuid.UUID) -> Device | None:
        stmt = self.tenant().where(Device.seal_id == seal_id)
        return (await self.session.execute(stmt)).scalar_one_or_none()

    async def search(
        self,
        *,
        status: str | None,
        online: bool | None,
        unit_id: uuid.UUID | None,
        seal_id: uuid.UUID | None,
        q: str | None,
        order: Sequence[Any],
        offset: int,
        limit: int,
    ) -> tuple[list[Device], int]:
        stmt = self.readable()
        if status:
            stmt = stmt.where(Device.status == status)
        if online is not None:
            stmt = stmt.where(Device.online == online)
        if unit_id:
            stmt = stmt.where(Device.unit_id == unit_id)
        if seal_id:
            stmt = stmt.where(Device.seal_id == seal_id)
        if q:
            like = f"%{q}%"
            stmt = stmt.where(Device.name.like(like) | Device.serial.like(like))
        return await page(self.session, stmt, order, offset, limit)

    async def bindings(self, device_id: uuid.UUID) -> list[SealBinding]:
        stmt = (
            select(SealBinding)
            .where(SealBinding.org_id == self.actor.org_id, SealBinding.device_id == device_id)
            .order_by(SealBinding.bound_at.desc(), SealBinding.id.desc())
        )
        return list((await self.session.execute(stmt)).scalars())

    async def open_binding(self, device_id: uuid.UUID) -> SealBinding | None:
        stmt = select(SealBinding).where(
            SealBinding.org_id == self.actor.org_id,
            SealBinding.device_id == device_id,
            SealBinding.unbound_at.is_(None),
        )
        return (await self.session.execute(stmt)).scalars().first()

    async def telemetry(
        self, device_id: uuid.UUID, since: datetime | None, limit: int
    ) -> list[DeviceTelemetry]:
        stmt = select(DeviceTelemetry).where(
            DeviceTelemetry.org_id == self.actor.org_id, DeviceTelemetry.device_id == device_id
        )
        if since is not None:
            stmt = stmt.where(DeviceTelemetry.at >= since)
        stmt = stmt.order_by(DeviceTelemetry.at.desc(), DeviceTelemetry.id.desc()).limit(limit)
        return list((await self.session.execute(stmt)).scalars())

    async def fingerprints(self, device_id: uuid.UUID) -> list[Fingerprint]:
        stmt = (
            select(Fingerprint)
            .where(Fingerprint.org_id == self.actor.org_id, Fingerprint.device_id == device_id)
            .order_by(Fingerprint.slot)
        )
        return list((await self.session.execute(stmt)).scalars())

    async def fingerprint(self, device_id: uuid.UUID, slot: int) -> Fingerprint | None:
        stmt = select(Fingerprint).where(
            Fingerprint.org_id == self.actor.org_id,
            Fingerprint.device_id == device_id,
            Fingerprint.slot == slot,
        )
        return (await self.session.execute(stmt)).scalar_one_or_none()

    async def delete_fingerprint(self, fp: Fingerprint) -> None:
        await self.session.execute(delete(Fingerprint).where(Fingerprint.id == fp.id))


class CommandRepository(TenantRepository[DeviceCommand]):
    model = DeviceCommand
    not_found = CommandNotFound

    async def for_device(
        self, device_id: uuid.UUID, *, state: str | None, offset: int, limit: int
    ) -> tuple[list[DeviceCommand], int]:
        stmt = self.tenant().where(DeviceCommand.device_id == device_id)
        if state:
            stmt = stmt.where(DeviceCommand.state == state)
        order = (DeviceCommand.created_at.desc(), DeviceCommand.id.desc())
        return await page(self.session, stmt, order, offset, limit)

    async def open_for_device(self, device_id: uuid.UUID) -> list[DeviceCommand]:
        stmt = (
            self.tenant()
            .where(
                DeviceCommand.device_id == device_id,
                DeviceCommand.state.in_([str(s) for s in OPEN_COMMANDS]),
            )
            .order_by(DeviceCommand.created_at, DeviceCommand.id)
        )
        return list((await self.session.execute(stmt)).scalars())

    async def authorisations(self, request_id: uuid.UUID) -> list[DeviceCommand]:
        stmt = (
            self.tenant()
            .where(DeviceCommand.request_id == request_id)
            .order_by(DeviceCommand.created_at, DeviceCommand.id)
        )
        return list((await self.session.execute(stmt)).scalars())


class EventRepository(TenantRepository[DeviceEvent]):
    model = DeviceEvent

    async def search(
        self,
        *,
        device_id: uuid.UUID | None,
        request_id: uuid.UUID | None,
        kind: str | None,
        offset: int,
        limit: int,
    ) -> tuple[list[DeviceEvent], int]:
        stmt = self.tenant()
        if device_id:
            stmt = stmt.where(DeviceEvent.device_id == device_id)
        if request_id:
            stmt = stmt.where(DeviceEvent.request_id == request_id)
        if kind:
            stmt = stmt.where(DeviceEvent.kind == kind)
        order = (DeviceEvent.at.desc(), DeviceEvent.seq.desc())
        return await page(self.session, stmt, order, offset, limit)


class MediaRepository(TenantRepository[MediaGrant]):
    model = MediaGrant

    async def uploaded(self, device_id: uuid.UUID, sha256s: list[str]) -> dict[str, MediaGrant]:
        if not sha256s:
            return {}
        stmt = self.tenant().where(
            MediaGrant.device_id == device_id,
            MediaGrant.sha256.in_(sha256s),
            MediaGrant.object_id.is_not(None),
        )
        return {g.sha256: g for g in (await self.session.execute(stmt)).scalars()}


# ---- no actor: the device channel (the caller proved who the device is) ----


async def serial_exists(session: AsyncSession, serial: str) -> Device | None:
    """A device with this serial in any organisation (serials are global)."""
    stmt = select(Device).where(Device.serial == serial)
    return (await session.execute(stmt)).scalar_one_or_none()


async def device_by_id(session: AsyncSession, device_id: uuid.UUID) -> Device | None:
    stmt = select(Device).where(Device.id == device_id)
    return (await session.execute(stmt)).scalar_one_or_none()


async def grant_by_token(session: AsyncSession, token_hash: str) -> MediaGrant | None:
    stmt = select(MediaGrant).where(MediaGrant.token_hash == token_hash)
    if session.bind is not None and session.bind.dialect.name != "sqlite":
        stmt = stmt.with_for_update()
    return (await session.execute(stmt)).scalar_one_or_none()


async def devices_for_broker(
    session: AsyncSession,
) -> list[tuple[uuid.UUID, uuid.UUID, str, str]]:
    """(id, org, password hash, status) of every device that may connect."""
    stmt = select(Device.id, Device.org_id, Device.mqtt_password_hash, Device.status)
    return [(r[0], r[1], r[2], r[3]) for r in (await session.execute(stmt)).all()]


async def open_commands_of(session: AsyncSession, device_id: uuid.UUID) -> list[DeviceCommand]:
    stmt = (
        select(DeviceCommand)
        .where(
            DeviceCommand.device_id == device_id,
            DeviceCommand.state.in_([str(s) for s in OPEN_COMMANDS]),
        )
        .order_by(DeviceCommand.created_at, DeviceCommand.id)
    )
    return list((await session.execute(stmt)).scalars())


async def command_of(
    session: AsyncSession, device_id: uuid.UUID, command_id: uuid.UUID
) -> DeviceCommand | None:
    stmt = select(DeviceCommand).where(
        DeviceCommand.id == command_id, DeviceCommand.device_id == device_id
    )
    return (await session.execute(stmt)).scalar_one_or_none()


async def stale_online(session: AsyncSession, before: datetime, limit: int) -> list[Device]:
    stmt = (
        select(Device)
        .where(Device.online.is_(True), Device.last_seen_at < before)
        .order_by(Device.last_seen_at)
        .limit(limit)
    )
    return list((await session.execute(stmt)).scalars())


async def overdue_commands(session: AsyncSession, now: datetime, limit: int) -> list[DeviceCommand]:
    stmt = (
        select(DeviceCommand)
        .where(
            DeviceCommand.state.in_([str(s) for s in OPEN_COMMANDS]),
            DeviceCommand.timeout_at < now,
        )
        .order_by(DeviceCommand.timeout_at)
        .limit(limit)
    )
    return list((await session.execute(stmt)).scalars())


async def thin_telemetry(session: AsyncSession, before: datetime, keep_every: int) -> int:
    """Downsample: of the rows older than `before`, keep every `keep_every`-th heartbeat."""
    result = await session.execute(
        delete(DeviceTelemetry)
        .where(DeviceTelemetry.at < before, DeviceTelemetry.seq % keep_every != 0)
        .execution_options(synchronize_session=False)
    )
    return int(getattr(result, "rowcount", 0) or 0)


# ---- the ingest hot path: Core statements built once, run with executemany ----

INSERT_EVENTS = insert(DeviceEvent)
INSERT_TELEMETRY = insert(DeviceTelemetry)
# events already stored among a batch's (device, seq) pairs, for dedupe across restarts
_STORED = select(DeviceEvent.device_id, DeviceEvent.seq).where(
    DeviceEvent.device_id.in_(bindparam("devices", expanding=True)),
    DeviceEvent.seq.in_(bindparam("seqs", expanding=True)),
)
_TWIN = (
    update(Device)
    .where(Device.id == bindparam("b_id"))
    .values(
        online=True,
        last_seen_at=bindparam("b_seen"),
        twin=bindparam("b_twin"),
        firmware=bindparam("b_firmware"),
    )
)
_SEEN = (
    update(Device)
    .where(Device.id == bindparam("b_id"))
    .values(online=True, last_seen_at=bindparam("b_seen"))
)
_JOURNAL = (
    update(Device)
    .where(Device.id == bindparam("b_id"))
    .values(journal_seq=bindparam("b_seq"), journal_hash=bindparam("b_hash"))
)
_JOURNAL_HEADS = select(Device.id, Device.journal_seq, Device.journal_hash).where(
    Device.id.in_(bindparam("ids", expanding=True))
)


async def stored_pairs(
    conn: AsyncConnection, devices: list[uuid.UUID], seqs: list[int]
) -> set[tuple[uuid.UUID, int]]:
    if not devices:
        return set()
    rows = await conn.execute(_STORED, {"devices": devices, "seqs": seqs})
    return {(r[0], int(r[1])) for r in rows.all()}


async def journal_heads(
    conn: AsyncConnection, ids: list[uuid.UUID]
) -> dict[uuid.UUID, tuple[int, str]]:
    if not ids:
        return {}
    rows = await conn.execute(_JOURNAL_HEADS, {"ids": ids})
    return {r[0]: (int(r[1]), str(r[2])) for r in rows.all()}


async def write_batch(
    conn: AsyncConnection,
    *,
    events: list[dict[str, Any]],
    telemetry: list[dict[str, Any]],
    twins: list[dict[str, Any]],
    seen: list[dict[str, Any]],
    journals: list[dict[str, Any]],
) -> None:
    """One batch of the ingest path in the caller's transaction (each list executemany;
    the append-only rows by COPY on PostgreSQL)."""
    if conn.dialect.name == "postgresql" and (events or telemetry):
        await _copy(conn, DeviceEvent.__table__, events)
        await _copy(conn, DeviceTelemetry.__table__, telemetry)
    else:
        if events:
            await conn.execute(INSERT_EVENTS, events)
        if telemetry:
            await conn.execute(INSERT_TELEMETRY, telemetry)
    if twins:
        await conn.execute(_TWIN, twins)
    if seen:
        await conn.execute(_SEEN, seen)
    if journals:
        await conn.execute(_JOURNAL, journals)


_BY_SERIALS = select(
    Device.id,
    Device.org_id,
    Device.serial,
    Device.status,
    Device.public_key_hex,
    Device.seal_id,
    Device.journal_seq,
    Device.journal_hash,
    Device.online,
).where(Device.serial.in_(bindparam("serials", expanding=True)))


async def devices_by_serials(conn: AsyncConnection, serials: list[str]) -> list[Any]:
    """The ingest's view of devices by serial (one round trip for a batch)."""
    if not serials:
        return []
    return list((await conn.execute(_BY_SERIALS, {"serials": serials})).all())


async def authorisation_of(
    session: AsyncSession, device_id: uuid.UUID, auth: str
) -> DeviceCommand | None:
    """The latest authorise command of a device for an authorisation id (= the item id)."""
    try:
        item_id = uuid.UUID(auth)
    except ValueError:
        return None
    stmt = (
        select(DeviceCommand)
        .where(
            DeviceCommand.device_id == device_id,
            DeviceCommand.item_id == item_id,
            DeviceCommand.kind == "authorise",
        )
        .order_by(DeviceCommand.created_at.desc())
        .limit(1)
    )
    return (await session.execute(stmt)).scalars().first()


async def uploaded_objects(
    session: AsyncSession, device_id: uuid.UUID, sha256s: list[str]
) -> dict[str, uuid.UUID]:
    if not sha256s:
        return {}
    stmt = select(MediaGrant.sha256, MediaGrant.object_id).where(
        MediaGrant.device_id == device_id,
        MediaGrant.sha256.in_(sha256s),
        MediaGrant.object_id.is_not(None),
    )
    return {r[0]: r[1] for r in (await session.execute(stmt)).all() if r[1] is not None}


async def set_offline(session: AsyncSession, device_id: uuid.UUID) -> bool:
    """Mark a device offline; False when it already was."""
    result = await session.execute(
        update(Device)
        .where(Device.id == device_id, Device.online.is_(True))
        .values(online=False)
        .execution_options(synchronize_session=False)
    )
    return bool(getattr(result, "rowcount", 0))


async def devices_by_ids(session: AsyncSession, ids: list[uuid.UUID]) -> list[Device]:
    if not ids:
        return []
    stmt = select(Device).where(Device.id.in_(ids))
    return list((await session.execute(stmt)).scalars())


async def bound_device(
    session: AsyncSession, org_id: uuid.UUID, seal_id: uuid.UUID
) -> Device | None:
    stmt = select(Device).where(Device.org_id == org_id, Device.seal_id == seal_id)
    return (await session.execute(stmt)).scalar_one_or_none()


async def authorisations_for_request(
    session: AsyncSession, org_id: uuid.UUID, request_id: uuid.UUID
) -> list[DeviceCommand]:
    stmt = (
        select(DeviceCommand)
        .where(
            DeviceCommand.org_id == org_id,
            DeviceCommand.request_id == request_id,
            DeviceCommand.kind == "authorise",
        )
        .order_by(DeviceCommand.created_at)
    )
    return list((await session.execute(stmt)).scalars())


async def online_with_queued(session: AsyncSession) -> list[uuid.UUID]:
    stmt = (
        select(DeviceCommand.device_id)
        .join(Device, Device.id == DeviceCommand.device_id)
        .where(Device.online.is_(True), DeviceCommand.state == "queued")
        .distinct()
        .limit(1000)
    )
    return [r[0] for r in (await session.execute(stmt)).all()]


async def online_serials(session: AsyncSession) -> list[str]:
    stmt = select(Device.serial).where(Device.online.is_(True)).limit(100_000)
    return [r[0] for r in (await session.execute(stmt)).all()]


async def revocations_for_request(
    session: AsyncSession, org_id: uuid.UUID, request_id: uuid.UUID
) -> list[DeviceCommand]:
    stmt = select(DeviceCommand).where(
        DeviceCommand.org_id == org_id,
        DeviceCommand.request_id == request_id,
        DeviceCommand.kind == "revoke",
    )
    return list((await session.execute(stmt)).scalars())


async def password_lines(session: AsyncSession, statuses: list[str]) -> list[tuple[str, str]]:
    """(serial, password hash) of every device in these statuses, all organisations."""
    stmt = (
        select(Device.serial, Device.mqtt_password_hash)
        .where(Device.status.in_(statuses))
        .order_by(Device.serial)
    )
    return [(r[0], r[1]) for r in (await session.execute(stmt)).all()]


async def entry_hashes(
    session: AsyncSession, device_id: uuid.UUID, ns: list[int]
) -> dict[int, str]:
    if not ns:
        return {}
    stmt = select(DeviceEvent.seq, DeviceEvent.entry_hash).where(
        DeviceEvent.device_id == device_id, DeviceEvent.seq.in_(ns)
    )
    return {int(r[0]): str(r[1]) for r in (await session.execute(stmt)).all()}


async def _copy(conn: AsyncConnection, table: Any, rows: list[dict[str, Any]]) -> None:
    """COPY rows into a table inside the connection's transaction (asyncpg)."""
    if not rows:
        return
    columns = [c.name for c in table.columns]
    json_cols = {c.name for c in table.columns if isinstance(c.type, JSON)}
    time_cols = {c.name for c in table.columns if c.name in ("at", "received_at")}

    def value(name: str, v: Any) -> Any:
        if v is None:
            return None
        if name in json_cols:
            return orjson.dumps(v).decode()
        if name in time_cols:
            return v.astimezone(UTC).replace(tzinfo=None)
        return v

    records = [tuple(value(c, r.get(c)) for c in columns) for r in rows]
    raw = await conn.get_raw_connection()
    driver = raw.driver_connection
    assert driver is not None
    await driver.copy_records_to_table(table.name, records=records, columns=columns)
