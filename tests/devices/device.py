"""A small smart seal for the platform tests: speaks protocol v1 over a real MQTT
connection (paho), keeps a real journal, unlocks by application code, presses with photos.

The simulator (`sealhub.simulator`) is the full device; this one is only what the platform
tests drive step by step, with every message visible to them."""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import socket
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import paho.mqtt.client as paho
from paho.mqtt.enums import CallbackAPIVersion

from sealhub.devices.protocol import acceptance, codec, topics
from sealhub.devices.protocol import messages as m
from sealhub.devices.protocol.journal import Journal
from sealhub.devices.protocol.signing import Signer, Verifier

Upload = Callable[[str, bytes, str], Awaitable[int]]


def now_ms() -> int:
    return int(time.time() * 1000)


@dataclass
class Keys:
    serial: str
    password: str
    seed_hex: str
    platform_public_hex: str
    secret_hex: str = ""

    @classmethod
    def from_provisioned(cls, out: dict[str, Any]) -> Keys:
        c = out["credentials"]
        return cls(
            c["mqtt_username"],
            c["mqtt_password"],
            c["ed25519_seed_hex"],
            c["platform_public_key_hex"],
            c["device_secret_hex"],
        )


@dataclass
class Auth:
    args: m.Authorise
    used: int = 0

    @property
    def left(self) -> int:
        return self.args.presses - self.used


@dataclass
class TestDevice:
    keys: Keys
    host: str
    port: int
    username: str | None = None  # another device's serial, for the ACL tests
    journal: Journal = field(default_factory=Journal)
    seq: int = 0
    auths: dict[str, Auth] = field(default_factory=dict)
    unlocked_for: str | None = None
    person: str | None = None
    locked: bool = True
    commands: dict[str, m.Command] = field(default_factory=dict)
    welcomed: asyncio.Event = field(default_factory=asyncio.Event)
    inbox: asyncio.Queue[tuple[str, bytes]] = field(default_factory=asyncio.Queue)
    grants: dict[str, asyncio.Future[m.UploadGrant]] = field(default_factory=dict)
    rejected_downlinks: int = 0
    reconnects: int = 0

    def __post_init__(self) -> None:
        self.signer = Signer.from_seed_hex(self.keys.seed_hex)
        self.platform = Verifier.from_hex(self.keys.platform_public_hex)
        self.down_accept = acceptance.down()
        self.loop = asyncio.get_running_loop()
        self.connected = asyncio.Event()
        self.suback: asyncio.Future[list[int]] | None = None
        self.client = paho.Client(
            CallbackAPIVersion.VERSION2, client_id=self.keys.serial, clean_session=True
        )
        self.client.username_pw_set(self.username or self.keys.serial, self.keys.password)
        self.client.will_set(topics.up(self.keys.serial, "gone"), b'{"kind":"gone","v":1}', 1)
        self.client.on_connect = self._on_connect
        self.client.on_message = self._on_message
        self.client.on_subscribe = self._on_subscribe
        self.client.on_disconnect = lambda *a: self.loop.call_soon_threadsafe(self.connected.clear)
        self.client.on_socket_open = lambda c, u, s: s.setsockopt(
            socket.IPPROTO_TCP, socket.TCP_NODELAY, 1
        )
        self._task: asyncio.Task[None] | None = None

    # ---- connection ----

    def _on_connect(self, client: Any, u: Any, f: Any, reason: Any, p: Any) -> None:
        if not reason.is_failure:
            client.subscribe(topics.device_down_filter(self.keys.serial), qos=1)
            self.loop.call_soon_threadsafe(self.connected.set)
            if self._task is not None:  # a reconnect: say hello again (§6.1), then resend
                self.loop.call_soon_threadsafe(self._rehello)

    def _rehello(self) -> None:
        self.reconnects += 1
        self.send(
            m.Hello(
                versions=(1,),
                capabilities=("application", "camera", "otc"),
                firmware="1.0.0",
                model="test-seal",
                journal_next=self.journal.next_n,
                journal_head=self.journal.head,
            )
        )

    def _on_subscribe(self, client: Any, u: Any, mid: Any, codes: Any, p: Any) -> None:
        values = [getattr(c, "value", c) for c in codes]
        if self.suback is not None and not self.suback.done():
            self.loop.call_soon_threadsafe(self.suback.set_result, values)

    def _on_message(self, client: Any, u: Any, msg: Any) -> None:
        self.loop.call_soon_threadsafe(self.inbox.put_nowait, (msg.topic, bytes(msg.payload)))

    async def connect(self, *, hello: bool = True, serve: bool = True, wait_s: float = 10) -> None:
        """Connect; `serve=False` leaves downlinks in `inbox` untouched (raw tests)."""
        self.client.connect(self.host, self.port, keepalive=30)
        self.client.loop_start()
        await asyncio.wait_for(self.connected.wait(), wait_s)
        if self._task is None and serve:
            self._task = asyncio.create_task(self._serve())
        if hello:
            await self.hello()

    async def hello(self, wait_s: float = 10) -> None:
        self.welcomed.clear()
        self.send(
            m.Hello(
                versions=(1,),
                capabilities=("application", "camera", "otc"),
                firmware="1.0.0",
                model="test-seal",
                journal_next=self.journal.next_n,
                journal_head=self.journal.head,
            )
        )
        await asyncio.wait_for(self.welcomed.wait(), wait_s)

    async def close(self, *, clean: bool = True) -> None:
        if clean:
            self.client.disconnect()
        else:  # vanish: the broker publishes the last will
            with contextlib.suppress(Exception):
                self.client.socket().close()  # type: ignore[union-attr]
        await asyncio.to_thread(self.client.loop_stop)
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None

    # ---- sending ----

    def envelope(self, body: m.Body, *, seq: int | None = None, ts: int | None = None) -> bytes:
        if seq is None:
            self.seq += 1
            seq = self.seq
        return codec.encode(
            body, device=self.keys.serial, seq=seq, ts=ts or now_ms(), signer=self.signer
        )

    def send(self, body: m.Body, **kw: Any) -> bytes:
        payload = self.envelope(body, **kw)
        self.client.publish(topics.up(self.keys.serial, m.KIND_OF[type(body)]), payload, qos=1)
        return payload

    def raw(self, topic: str, payload: bytes) -> None:
        self.client.publish(topic, payload, qos=1)

    async def subscribe(self, topic: str) -> list[int]:
        self.suback = self.loop.create_future()
        self.client.subscribe(topic, qos=1)
        return await asyncio.wait_for(self.suback, 5)

    def heartbeat(self, *, battery: int = 90, ink: int = 10) -> None:
        self.send(
            m.Heartbeat(
                battery=battery,
                ink_presses=ink,
                ink_capacity=1000,
                firmware="1.0.0",
                location=m.Location(src="gps", lat_e7=399042000, lon_e7=1164074000, acc_m=8),
                lock="locked" if self.locked else "unlocked",
                mode="application",
                camera=True,
                signal=-70,
                storage_free_kb=100_000,
            )
        )

    def record(self, data: m.Body) -> m.Record:
        rec = self.journal.append(data, now_ms())
        self.send(rec)
        return rec

    # ---- receiving ----

    async def _serve(self) -> None:
        while True:
            _topic, payload = await self.inbox.get()
            try:
                dec = codec.decode(payload, "down")
            except codec.ProtocolError:
                self.rejected_downlinks += 1
                continue
            env = dec.envelope
            ok = (
                dec.verify(self.platform)
                and self.down_accept.accept(env.seq, env.ts, now_ms())
                is acceptance.Verdict.ACCEPTED
            )
            if not ok:
                self.rejected_downlinks += 1
                continue
            body = env.body
            if isinstance(body, m.Welcome):
                self.journal.acknowledge_upto(body.acked_upto)
                for rec in self.journal.unacked():
                    self.send(rec)
                self.welcomed.set()
            elif isinstance(body, m.Probe):
                self._rehello()
            elif isinstance(body, m.RecordAck):
                self.journal.acknowledge(body.ns)
            elif isinstance(body, m.UploadGrant):
                fut = self.grants.pop(body.req, None)
                if fut is not None and not fut.done():
                    fut.set_result(body)
            elif isinstance(body, m.Command):
                self._command(body)

    def _command(self, cmd: m.Command) -> None:
        first = cmd.id not in self.commands
        self.commands[cmd.id] = cmd
        self.send(m.Ack(id=cmd.id, status="accepted", reason=None))
        args = cmd.args
        if first:
            if isinstance(args, m.Authorise):
                used = self.auths[args.auth].used if args.auth in self.auths else 0
                self.auths[args.auth] = Auth(args, used)
            elif isinstance(args, m.Revoke):
                self.auths.pop(args.auth, None)
                if self.unlocked_for == args.auth:
                    self._lock("revoked")
            elif isinstance(args, m.Lock):
                self._lock("remote")
        self.send(m.Result(id=cmd.id, ok=True, code="done", detail={}))

    # ---- using it ----

    def unlock(self, person: str, code: str) -> str:
        """Unlock with an application code; returns the authorisation, or raises."""
        digest = hashlib.sha256(code.encode()).hexdigest()
        t = now_ms()
        for auth_id, auth in self.auths.items():
            a = auth.args
            if a.codes.get(person) != digest or person not in a.people:
                continue
            if not a.valid_from <= t < a.valid_until:
                raise PermissionError("outside_window")
            if auth.left <= 0:
                raise PermissionError("used_up")
            self.unlocked_for, self.person, self.locked = auth_id, person, False
            self.record(
                m.UnlockData(
                    method="application", auth=auth_id, person=person, fp_slot=None, photo=None
                )
            )
            return auth_id
        raise PermissionError("no_authorisation")

    async def upload(self, data: bytes, upload: Upload) -> str:
        sha = hashlib.sha256(data).hexdigest()
        req = f"u{self.seq + 1}"
        fut: asyncio.Future[m.UploadGrant] = self.loop.create_future()
        self.grants[req] = fut
        self.send(
            m.UploadRequest(
                req=req, sha256=sha, size=len(data), content_type="image/png", purpose="photo"
            )
        )
        grant = await asyncio.wait_for(fut, 10)
        assert grant.url, grant.reason
        status = await upload(grant.url, data, "image/png")
        assert status == 204, status
        return sha

    async def press(self, photo: bytes, upload: Upload) -> m.Record:
        if self.locked or self.unlocked_for is None:
            raise PermissionError("locked")
        auth = self.auths[self.unlocked_for]
        sha = await self.upload(photo, upload)
        auth.used += 1
        rec = self.record(
            m.StampData(
                auth=self.unlocked_for,
                item=auth.args.item,
                person=self.person,
                fp_slot=None,
                location=None,
                photos=(sha,),
                presses_left=auth.left,
                emergency=False,
            )
        )
        if auth.left == 0:
            self._lock("used_up")
        return rec

    def _lock(self, reason: str) -> None:
        self.locked, self.unlocked_for = True, None
        self.record(m.LockData(reason=reason))  # type: ignore[arg-type]
