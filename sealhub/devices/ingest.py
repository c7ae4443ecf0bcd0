"""THE hot path: every uplink message from every device.

Per message, in memory: topic, decode (strict, canonical), Ed25519 signature, the
acceptance rules (replay, window, staleness) and, for journal records, dedupe by
(device, n) and the chain. Then per batch (at most `batch_ms`, ≤ 50 ms, or `max_batch`
messages) one transaction: prebuilt Core statements with executemany for the hot rows
(journal events, telemetry, twins), the ORM only for the rare kinds (hello, command
answers, stamps counted on applications, alarms, upload grants). Only after the commit
are records acknowledged to their devices (`record_ack`) and the MQTT messages to the
broker: nothing acknowledged is ever lost, and a resent record is stored once.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
import uuid
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sqlalchemy.exc import DBAPIError

from sealhub.devices import repository
from sealhub.devices.broker import Incoming
from sealhub.devices.policy import CONNECTABLE
from sealhub.devices.protocol import acceptance, codec, topics
from sealhub.devices.protocol import messages as m
from sealhub.devices.protocol.journal import ChainTracker, Link, record_hash
from sealhub.devices.protocol.signing import Signer, Verifier
from sealhub.devices.service import channel
from sealhub.platform import clock
from sealhub.platform.ids import new_id
from sealhub.platform.runtime import Runtime

log = logging.getLogger("sealhub.devices.ingest")

Publish = Callable[[str, bytes], None]
Ack = Callable[[list[Incoming]], None]


@dataclass
class DeviceState:
    """What ingest keeps in memory per device (loaded once, then updated per batch)."""

    id: uuid.UUID
    org_id: uuid.UUID
    serial: str
    status: str
    verifier: Verifier
    seal_id: uuid.UUID | None
    online: bool
    accept: acceptance.Acceptance = field(default_factory=acceptance.up)
    chain: ChainTracker = field(default_factory=ChainTracker)
    battery_low: bool = False
    ink_low: bool = False


class DownSeq:
    """Downlink seq (§5.4): the clock in microseconds, strictly increasing in this process."""

    def __init__(self) -> None:
        self.last = 0

    def next(self) -> int:
        now = int(clock.now().timestamp() * 1_000_000)
        self.last = max(now, self.last + 1)
        return self.last


@dataclass
class Stats:
    received: int = 0
    stored_records: int = 0
    duplicates: int = 0
    heartbeats: int = 0
    batches: int = 0
    failed_batches: int = 0
    rejected: Counter[str] = field(default_factory=Counter)
    gaps: list[tuple[str, int, int]] = field(default_factory=list)


@dataclass
class _Batch:
    events: list[dict[str, Any]] = field(default_factory=list)
    telemetry: list[dict[str, Any]] = field(default_factory=list)
    twins: dict[uuid.UUID, dict[str, Any]] = field(default_factory=dict)
    seen: dict[uuid.UUID, datetime] = field(default_factory=dict)
    journals: dict[uuid.UUID, tuple[int, str]] = field(default_factory=dict)
    # (device, message) pairs for the ORM part, in arrival order
    slow: list[tuple[DeviceState, m.Envelope]] = field(default_factory=list)
    # record numbers to acknowledge per device after the commit
    acks: dict[str, list[int]] = field(default_factory=dict)
    replies: list[tuple[str, str, m.Body]] = field(default_factory=list)
    kicks: set[uuid.UUID] = field(default_factory=set)
    resend: set[uuid.UUID] = field(default_factory=set)
    touched: set[str] = field(default_factory=set)
    # event rows of stamps and alarms by id() of their record, completed by the ORM part
    rows: dict[int, dict[str, Any]] = field(default_factory=dict)


class Ingest:
    def __init__(
        self,
        runtime: Runtime,
        signer: Signer,
        *,
        publish: Publish,
        ack: Ack,
        kick: Callable[[uuid.UUID, bool], None],
        media_url: Callable[[str], str],
        batch_ms: int = 20,
        max_batch: int = 2000,
    ) -> None:
        self.runtime = runtime
        self.signer = signer
        self.publish, self.ack, self.kick, self.media_url = publish, ack, kick, media_url
        self.batch_s = min(batch_ms, 50) / 1000
        self.max_batch = max_batch
        self.queue: asyncio.Queue[Incoming] = asyncio.Queue()
        self.devices: dict[str, DeviceState] = {}
        self.down = DownSeq()
        self.stats = Stats()
        self._delta = Stats()
        self.gapped: set[str] = set()
        self._task: asyncio.Task[None] | None = None
        self.idle = asyncio.Event()
        self.idle.set()

    # ---- plumbing ----

    def put(self, item: Incoming) -> None:
        self.idle.clear()
        self.queue.put_nowait(item)

    def start(self) -> None:
        self._task = asyncio.create_task(self._run())

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None

    def probe_gapped(self) -> int:
        """Probe the devices whose journals showed a gap since the last call."""
        serials, self.gapped = self.gapped, set()
        for serial in serials:
            self._send(serial, m.Probe())
        return len(serials)

    def forget(self, serial: str) -> None:
        """Drop a device's cached state (its status or key changed)."""
        self.devices.pop(serial, None)

    async def _run(self) -> None:
        while True:
            first = await self.queue.get()
            batch = [first]
            deadline = time.monotonic() + self.batch_s
            while len(batch) < self.max_batch:
                while len(batch) < self.max_batch and not self.queue.empty():
                    batch.append(self.queue.get_nowait())
                left = deadline - time.monotonic()
                if left <= 0 or len(batch) >= self.max_batch:
                    break
                await asyncio.sleep(min(left, 0.005))
            try:
                await self.handle(batch)
            except Exception:
                log.exception("ingest batch failed")
            if self.queue.empty():
                self.idle.set()

    # ---- one batch ----

    async def handle(self, items: list[Incoming]) -> None:
        """One batch, retried whole when the database refuses it (SQLite's writer lock, a
        deadlock): the cached state of its devices is dropped first, so a retry decides
        from what is stored, and nothing is counted twice."""
        self.stats.received += len(items)
        for attempt in range(4):
            self._delta = Stats()
            try:
                await self._handle_once(items)
            except DBAPIError as exc:
                for serial in {_serial_of(i.topic) for i in items}:
                    self.devices.pop(serial, None)
                if attempt == 3 or (not exc.connection_invalidated and not _retryable(exc)):
                    self.stats.failed_batches += 1
                    raise
                await asyncio.sleep(0.02 * (attempt + 1))
                continue
            except Exception:
                for serial in {_serial_of(i.topic) for i in items}:
                    self.devices.pop(serial, None)
                self.stats.failed_batches += 1
                raise
            d = self._delta
            self.stats.rejected.update(d.rejected)
            self.stats.stored_records += d.stored_records
            self.stats.duplicates += d.duplicates
            self.stats.heartbeats += d.heartbeats
            self.stats.gaps += d.gaps
            return

    async def _handle_once(self, items: list[Incoming]) -> None:
        now = clock.now()
        now_ms = int(now.timestamp() * 1000)
        b = _Batch()
        parsed: list[tuple[Incoming, str, str, codec.Decoded | None]] = []
        for item in items:
            where = topics.parse(item.topic)
            if where is None or where[1] != "up":
                self._reject("bad_topic")
                continue
            serial, _, kind = where
            if kind == "gone":
                parsed.append((item, serial, kind, None))
                continue
            try:
                decoded = codec.decode(item.payload, "up")
            except codec.ProtocolError as exc:
                self._reject(exc.code)
                continue
            if decoded.envelope.device != serial or decoded.envelope.kind != kind:
                self._reject("topic_mismatch")
                continue
            parsed.append((item, serial, kind, decoded))

        async with self.runtime.transaction() as session:
            conn = await session.connection()
            await self._load(conn, {s for _, s, _, _ in parsed} - self.devices.keys())
            records: list[tuple[DeviceState, m.Envelope, m.Record]] = []
            for _item, serial, _kind, dec in parsed:
                dev = self.devices.get(serial)
                if dev is None:
                    self._reject("unknown_device")
                    continue
                if dec is None:  # the last will: only the broker can send it
                    b.slow.append((dev, m.Envelope(1, "gone", serial, 0, 0, m.Gone())))
                    b.touched.add(serial)
                    continue
                env = dec.envelope
                if not dec.verify(dev.verifier):
                    self._reject("bad_signature")
                    continue
                verdict = dev.accept.accept(env.seq, env.ts, now_ms)
                if verdict is not acceptance.Verdict.ACCEPTED:
                    self._reject(str(verdict))
                    continue
                if dev.status not in CONNECTABLE:
                    self._reject("inactive")
                    continue
                b.touched.add(serial)
                b.seen[dev.id] = now
                body = env.body
                if isinstance(body, m.Heartbeat):
                    self._heartbeat(b, dev, env, body, now)
                elif isinstance(body, m.Record):
                    records.append((dev, env, body))
                else:
                    b.slow.append((dev, env))
            await self._records(conn, b, records, now)
            if b.slow:
                await self._slow(session, b, now)
            await repository.write_batch(
                conn,
                events=b.events,
                telemetry=b.telemetry,
                twins=[
                    {"b_id": i, "b_seen": now, "b_twin": t, "b_firmware": t.get("firmware", "")}
                    for i, t in b.twins.items()
                ],
                seen=[{"b_id": i, "b_seen": s} for i, s in b.seen.items() if i not in b.twins],
                journals=[{"b_id": i, "b_seq": n, "b_hash": h} for i, (n, h) in b.journals.items()],
            )
        # committed: now tell the devices, then the broker
        self.stats.batches += 1
        for serial, ns in b.acks.items():
            self._send(serial, m.RecordAck(ns=tuple(sorted(set(ns)))))
        for serial, _, body in b.replies:
            self._send(serial, body)
        for device_id in b.kicks:
            self.kick(device_id, device_id in b.resend)
        self.ack(items)

    def _reject(self, reason: str) -> None:
        self._delta.rejected[reason] += 1

    def _send(self, serial: str, body: m.Body) -> None:
        now_ms = int(clock.now().timestamp() * 1000)
        kind = m.KIND_OF[type(body)]
        payload = codec.encode(
            body, device=serial, seq=self.down.next(), ts=now_ms, signer=self.signer, kind=kind
        )
        self.publish(topics.down(serial, kind), payload)

    def command_payload(self, serial: str, body: m.Command) -> tuple[str, bytes]:
        now_ms = int(clock.now().timestamp() * 1000)
        payload = codec.encode(
            body, device=serial, seq=self.down.next(), ts=now_ms, signer=self.signer
        )
        return topics.down(serial, "command"), payload

    async def refresh(self) -> None:
        """Re-read status and seal of the cached devices (changed through the API, maybe by
        another process); the acceptance and chain state stay."""
        if not self.devices:
            return
        async with self.runtime.transaction() as session:
            conn = await session.connection()
            rows = await repository.devices_by_serials(conn, sorted(self.devices))
        found = {r.serial: r for r in rows}
        for serial in list(self.devices):
            r = found.get(serial)
            if r is None:
                self.devices.pop(serial, None)
                continue
            dev = self.devices[serial]
            dev.status, dev.seal_id = r.status, r.seal_id

    async def _load(self, conn: Any, serials: set[str]) -> None:
        if not serials:
            return
        rows = await repository.devices_by_serials(conn, sorted(serials))
        for r in rows:
            try:
                verifier = Verifier.from_hex(r.public_key_hex)
            except ValueError:
                continue
            chain = ChainTracker(last_n=int(r.journal_seq), last_hash=r.journal_hash or m.ZERO_HASH)
            self.devices[r.serial] = DeviceState(
                id=r.id,
                org_id=r.org_id,
                serial=r.serial,
                status=r.status,
                verifier=verifier,
                seal_id=r.seal_id,
                online=bool(r.online),
                chain=chain,
            )

    def _heartbeat(
        self, b: _Batch, dev: DeviceState, env: m.Envelope, hb: m.Heartbeat, now: datetime
    ) -> None:
        self._delta.heartbeats += 1
        twin = codec.as_json(hb)
        twin["ink_left"] = max(hb.ink_capacity - hb.ink_presses, 0)
        b.twins[dev.id] = twin
        b.telemetry.append(
            {
                "id": new_id(),
                "org_id": dev.org_id,
                "device_id": dev.id,
                "seq": env.seq,
                "at": _at(env.ts),
                "battery": hb.battery,
                "ink_used": hb.ink_presses,
                "ink_capacity": hb.ink_capacity,
                "signal": hb.signal,
                "readings": twin,
            }
        )
        if not dev.online:
            b.slow.append((dev, env))  # came back: announce it
        low_battery, low_ink = hb.battery < 20, hb.ink_presses * 10 >= hb.ink_capacity * 9
        if low_battery and not dev.battery_low:
            b.slow.append(
                (dev, m.Envelope(1, "alarm", dev.serial, env.seq, env.ts, _alarm("low_battery")))
            )
        if low_ink and not dev.ink_low:
            b.slow.append(
                (dev, m.Envelope(1, "alarm", dev.serial, env.seq, env.ts, _alarm("low_ink")))
            )
        dev.battery_low, dev.ink_low = low_battery, low_ink

    async def _records(
        self,
        conn: Any,
        b: _Batch,
        records: list[tuple[DeviceState, m.Envelope, m.Record]],
        now: datetime,
    ) -> None:
        if not records:
            return
        stored = await repository.stored_pairs(
            conn, list({d.id for d, _, _ in records}), list({r.n for _, _, r in records})
        )
        for dev, env, rec in sorted(records, key=lambda x: (x[0].serial, x[2].n)):
            link = dev.chain.classify(rec)
            if link is Link.DUPLICATE or (dev.id, rec.n) in stored:
                self._delta.duplicates += 1
                b.acks.setdefault(dev.serial, []).append(rec.n)
                continue
            if link is Link.BROKEN:
                # the record does not continue what is stored: keep nothing, say nothing
                self._reject("chain_broken")
                continue
            if link is Link.GAP:
                # something before it was lost on the way: ask for a hello (the welcome
                # makes the device resend whatever is still unacknowledged)
                self.gapped.add(dev.serial)
                self._delta.gaps.append((dev.serial, dev.chain.last_n + 1, rec.n - 1))
                log.warning("journal gap", extra={"device": dev.serial, "n": rec.n})
            row = {
                "id": new_id(),
                "org_id": dev.org_id,
                "device_id": dev.id,
                "seq": rec.n,
                "kind": rec.type,
                "at": _at(rec.at),
                "received_at": now,
                "request_id": None,
                "item_id": None,
                "seal_id": dev.seal_id,
                "entry_hash": record_hash(rec),
                "prev_hash": rec.prev,
                "source": "mqtt",
                "body": codec.as_json(rec.data),
            }
            if link is Link.GAP:
                row["body"] = {**row["body"], "gap_before": True}
            b.events.append(row)
            dev.chain.store(rec)
            b.journals[dev.id] = (dev.chain.last_n, dev.chain.last_hash)
            b.acks.setdefault(dev.serial, []).append(rec.n)
            if rec.type in ("stamp", "alarm"):
                b.slow.append((dev, m.Envelope(1, "record", dev.serial, env.seq, env.ts, rec)))
                b.rows[id(rec)] = row
            self._delta.stored_records += 1

    async def _slow(self, session: Any, b: _Batch, now: datetime) -> None:
        for dev, env in b.slow:
            body = env.body
            if isinstance(body, m.Hello):
                device = await channel.hello(
                    session,
                    dev.id,
                    firmware=body.firmware,
                    model=body.model,
                    capabilities=list(body.capabilities),
                    version=m.VERSION,
                )
                if device is not None:
                    dev.status, dev.online = device.status, True
                welcome = m.Welcome(
                    version=m.VERSION,
                    time=int(now.timestamp() * 1000),
                    acked_upto=dev.chain.last_n,
                    heartbeat_s=60,
                )
                b.replies.append((dev.serial, "welcome", welcome))
                b.kicks.add(dev.id)
                b.resend.add(dev.id)
            elif isinstance(body, m.Heartbeat):
                await channel.came_back(session, dev.id)
                dev.online = True
            elif isinstance(body, m.Gone):
                device = await repository.device_by_id(session, dev.id)
                if device is not None:
                    await channel.offline(session, device, "last_will")
                dev.online = False
            elif isinstance(body, m.Ack):
                await channel.command_answer(
                    session,
                    dev.id,
                    body.id,
                    accepted=body.status == "accepted",
                    ok=None,
                    code=body.reason or "",
                )
            elif isinstance(body, m.Result):
                await channel.command_answer(
                    session,
                    dev.id,
                    body.id,
                    accepted=None,
                    ok=body.ok,
                    code=body.code,
                    detail=dict(body.detail),
                )
            elif isinstance(body, m.UploadRequest):
                token, expires = await channel.grant_upload(
                    session,
                    dev,
                    sha256=body.sha256,
                    size=body.size,
                    content_type=body.content_type,
                    seconds=self.runtime.settings.device_upload_url_seconds,
                )
                grant = m.UploadGrant(
                    req=body.req,
                    url=self.media_url(token),
                    method="PUT",
                    headers={"Content-Type": body.content_type},
                    expires=int(expires.timestamp() * 1000),
                    reason=_GRANTED,
                )
                b.replies.append((dev.serial, "upload_grant", grant))
            elif isinstance(body, m.Record):
                row = b.rows.get(id(body))
                await self._record_effects(session, dev, env, body, row)
            elif isinstance(body, m.AlarmData):  # raised by the platform from telemetry
                await channel.alarm(
                    session, dev, code=body.code, seq=env.seq, at=_at(env.ts), detail=body.detail
                )

    async def _record_effects(
        self,
        session: Any,
        dev: DeviceState,
        env: m.Envelope,
        rec: m.Record,
        row: dict[str, Any] | None,
    ) -> None:
        data = rec.data
        if isinstance(data, m.StampData):
            linked = await channel.stamp(
                session,
                channel.StampFacts(
                    device=dev,
                    seq=rec.n,
                    at=_at(rec.at),
                    auth=data.auth,
                    person=data.person,
                    photos=data.photos,
                    emergency=data.emergency,
                ),
            )
            if row is not None:
                row["request_id"], row["item_id"] = linked["request_id"], linked["item_id"]
                row["seal_id"] = linked["seal_id"]
                extra = {"photo_objects": linked.get("photo_objects", {})}
                if "use_refused" in linked:
                    extra["use_refused"] = linked["use_refused"]
                row["body"] = {**row["body"], **extra}
        elif isinstance(data, m.AlarmData):
            await channel.alarm(
                session, dev, code=data.code, seq=rec.n, at=_at(rec.at), detail=data.detail
            )


# the protocol's "why no URL" field, empty on a grant (a name: `reason=` takes error codes)
_GRANTED: str | None = None


def _serial_of(topic: str) -> str:
    parts = topic.split("/")
    return parts[2] if len(parts) > 2 else ""


def _retryable(exc: DBAPIError) -> bool:
    text = str(exc.orig).lower()
    return any(w in text for w in ("locked", "deadlock", "serializ", "could not obtain lock"))


def _alarm(code: str) -> m.AlarmData:
    return m.AlarmData(code=code, detail="", auth=None, person=None)  # type: ignore[arg-type]


def _at(ts_ms: int) -> datetime:
    return datetime.fromtimestamp(ts_ms / 1000, tz=UTC)
