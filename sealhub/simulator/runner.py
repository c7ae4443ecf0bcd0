"""Runs `SimDevice`s over a real MQTT client (aiomqtt, TCP_NODELAY) and real HTTP uploads.

One `DeviceRunner` per device, all in one asyncio loop: connect (retrying until the broker is
up), hello, heartbeats, commands, presses with photos, video, offline periods and reboots.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import logging
import random
import socket
import ssl
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

import aiomqtt
import httpx

from sealhub.devices.protocol import messages as m
from sealhub.devices.protocol import topics
from sealhub.simulator import device as dev
from sealhub.simulator import media
from sealhub.simulator.device import SimDevice

log = logging.getLogger("sealhub.simulator")
NODELAY = ((socket.IPPROTO_TCP, socket.TCP_NODELAY, 1),)
GRANT_TIMEOUT_S = 3.0


@dataclass(frozen=True)
class Broker:
    host: str
    port: int
    tls: bool

    @classmethod
    def parse(cls, url: str) -> Broker:
        parts = urlsplit(url if "://" in url else f"mqtt://{url}")
        tls = parts.scheme in ("mqtts", "ssl", "tls")
        return cls(parts.hostname or "127.0.0.1", parts.port or (8883 if tls else 1883), tls)


def mqtt_client(
    broker: Broker,
    *,
    client_id: str,
    username: str | None,
    password: str | None,
    will: aiomqtt.Will | None = None,
    keepalive: int = 30,
    mqtt5: bool = False,
) -> aiomqtt.Client:
    """A client with TCP_NODELAY (without it each hop can wait ~40 ms for a delayed ACK)."""
    return aiomqtt.Client(
        broker.host,
        broker.port,
        identifier=client_id,
        username=username,
        password=password,
        will=will,
        keepalive=keepalive,
        protocol=aiomqtt.ProtocolVersion.V5 if mqtt5 else aiomqtt.ProtocolVersion.V311,
        socket_options=NODELAY,
        tls_context=ssl.create_default_context() if broker.tls else None,
        timeout=10,
    )


@dataclass
class Behaviour:
    """What a simulated device does on its own (all off for the conformance kit)."""

    heartbeat: bool = True
    photos: bool = True
    video: bool = False
    press_every_s: float = 0.0  # mean seconds between random presses (0: only on command)
    alarm_every_s: float = 0.0  # mean seconds between random alarms
    offline_every_s: float = 0.0  # mean seconds between random network losses
    alarms_at_start: tuple[str, ...] = ()
    seal_name: str = "演示科技有限公司"


class _GoOffline(Exception):
    def __init__(self, seconds: float) -> None:
        self.seconds = seconds


@dataclass
class DeviceRunner:
    device: SimDevice
    broker: Broker
    username: str
    password: str
    http: httpx.AsyncClient
    behaviour: Behaviour = field(default_factory=Behaviour)
    rng: random.Random = field(default_factory=random.Random)
    on_state: Callable[[SimDevice], None] | None = None
    connected: asyncio.Event = field(default_factory=asyncio.Event)
    sessions: int = 0
    _client: aiomqtt.Client | None = None
    _grants: dict[str, asyncio.Future[m.UploadGrant]] = field(default_factory=dict)
    _docs: dict[str, bytes | None] = field(default_factory=dict)
    _offline: asyncio.Event = field(default_factory=asyncio.Event)
    _offline_s: float = 0.0
    _pending: list[tuple[str, bytes, str, str]] = field(default_factory=list)
    _tasks: set[asyncio.Task[Any]] = field(default_factory=set)

    @property
    def serial(self) -> str:
        return self.device.serial

    # --- connection loop ----------------------------------------------------------------

    async def run(self, stop: asyncio.Event) -> None:
        """Stay connected until `stop`, reconnecting after drops, offline periods, reboots."""
        backoff = 0.5
        while not stop.is_set():
            try:
                await self._session(stop)
                backoff = 0.5
            except _GoOffline as off:
                log.info("%s offline for %.1fs", self.serial, off.seconds)
                await _sleep_or(stop, off.seconds)
            except (aiomqtt.MqttError, OSError) as exc:
                log.debug(
                    "%s: broker unavailable (%s); retrying in %.1fs", self.serial, exc, backoff
                )
                await _sleep_or(stop, backoff)
                backoff = min(backoff * 2, 10.0)
            finally:
                self.connected.clear()
                self._client = None
                if self.on_state:
                    self.on_state(self.device)

    async def _session(self, stop: asyncio.Event) -> None:
        will = aiomqtt.Will(topics.up(self.serial, "gone"), b'{"kind":"gone","v":1}', qos=1)
        client = mqtt_client(
            self.broker,
            client_id=self.serial,
            username=self.username,
            password=self.password,
            will=will,
        )
        async with client:
            self._client = client
            self.sessions += 1
            self._offline.clear()
            await client.subscribe(topics.device_down_filter(self.serial), qos=1)
            await self.publish(self.device.hello())
            self.connected.set()
            for code in self.behaviour.alarms_at_start if self.sessions == 1 else ():
                await self.send([self.device.alarm(code, "requested")])
            await self._flush_pending_uploads()
            async with asyncio.TaskGroup() as group:
                reader = group.create_task(self._read(client))
                loops = [group.create_task(self._heartbeats())]
                if self.behaviour.press_every_s or self.behaviour.alarm_every_s:
                    loops.append(group.create_task(self._activity()))
                if self.behaviour.offline_every_s:
                    loops.append(group.create_task(self._flaps()))
                stopper = group.create_task(stop.wait())
                offline = group.create_task(self._offline.wait())
                await asyncio.wait({reader, stopper, offline}, return_when=asyncio.FIRST_COMPLETED)
                for task in (reader, stopper, offline, *loops):
                    task.cancel()
            if reader.done() and not reader.cancelled() and reader.exception():
                raise reader.exception()  # type: ignore[misc]
        if self._offline.is_set() and not stop.is_set():
            raise _GoOffline(self._offline_s)

    def go_offline(self, seconds: float) -> None:
        """Drop the network now: from here on, records stay in the journal."""
        self._offline_s = seconds
        self._client = None
        self._offline.set()

    async def _read(self, client: aiomqtt.Client) -> None:
        async for message in client.messages:
            parsed = topics.parse(str(message.topic))
            if parsed is None or parsed[0] != self.serial or parsed[1] != "down":
                continue
            payload = message.payload
            if not isinstance(payload, bytes | bytearray):
                continue
            await self.handle(bytes(payload), parsed[2])

    async def handle(self, payload: bytes, kind: str) -> None:
        outs, effects = self.device.receive(payload, kind)
        await self.send(outs)
        for effect in effects:
            self._spawn(self._effect(effect))

    def _spawn(self, coro: Any) -> None:
        task = asyncio.get_running_loop().create_task(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def publish(self, body: m.Body) -> None:
        client = self._client
        if client is None:
            return  # offline: journal records wait for the next welcome
        payload = self.device.wire(body)
        await client.publish(topics.up(self.serial, m.KIND_OF[type(body)]), payload, qos=1)

    async def send(self, outs: list[dev.Out]) -> None:
        for out in outs:
            await self.publish(out.body)
        if outs and self.on_state and any(isinstance(o.body, m.Record) for o in outs):
            self.on_state(self.device)

    # --- effects ------------------------------------------------------------------------

    async def _effect(self, effect: dev.Effect) -> None:
        try:
            if isinstance(effect, dev.Press):
                await self.press(
                    effect.person,
                    effect.count,
                    fp_slot=effect.fp_slot,
                    cmd=effect.cmd,
                    app_code=effect.app_code,
                )
            elif isinstance(effect, dev.Offline):
                await asyncio.sleep(0.2)  # let the result leave first
                self.go_offline(effect.seconds)
                for _ in range(effect.presses):
                    await self.press(effect.person, 1, cmd=None)
            elif isinstance(effect, dev.Reboot):
                await asyncio.sleep(0.2)
                self.go_offline(0.5)
            elif isinstance(effect, dev.Download):
                image: bytes | None = None
                try:
                    response = await self.http.get(effect.url, timeout=30)
                    if response.status_code == 200:
                        image = response.content
                except httpx.HTTPError:
                    image = None
                result = self.device.install(effect, image)
                await self.send([result] if result else [])
            elif isinstance(effect, dev.Grant):
                future = self._grants.pop(effect.grant.req, None)
                if future is not None and not future.done():
                    future.set_result(effect.grant)
        except Exception:  # a simulated device never dies of one bad effect
            log.exception("%s: effect %s failed", self.serial, type(effect).__name__)

    async def press(
        self,
        person: str | None,
        count: int,
        *,
        fp_slot: int | None = None,
        cmd: str | None = None,
        emergency: bool = False,
        app_code: str | None = None,
    ) -> int:
        """`count` presses by `person`, each with a photo of the page; returns how many stamped.

        The front camera photographs the person when the device opens (§10.1)."""
        stamped = refused = 0
        for _ in range(count):
            state, _why = self.device.authorisation_for(person)
            photos: tuple[str, ...] = ()
            face: str | None = None
            camera = self.behaviour.photos and self.device.camera
            if camera and (state is not None or emergency):
                opening = self.device.lock != "unlocked" or (
                    state is not None and self.device.unlocked_auth != state.terms.auth
                )
                if opening:
                    shot = media.portrait(person or "?", rng=self.rng)
                    face = await self.upload(shot, "image/jpeg", "unlock_photo")
                photo = await self._photo(state)
                photos = (await self.upload(photo, "image/jpeg", "photo"),)
            outs, ok = self.device.press(
                person,
                photos,
                fp_slot=fp_slot,
                emergency=emergency,
                unlock_photo=face,
                app_code=app_code,
            )
            await self.send(outs)
            stamped, refused = stamped + ok, refused + (not ok)
            if ok and self.device.lock == "locked" and self.behaviour.video:
                await self._video()
        done = self.device.finish(cmd, True, "pressed", stamped=stamped, refused=refused)
        await self.send([done] if done else [])
        return stamped

    async def _photo(self, state: dev.AuthState | None) -> bytes:
        pdf = None
        title = "紧急用印"
        index = 0
        if state is not None:
            title = f"申请 {state.terms.request[:8]}"
            index = state.used % max(state.terms.pages, 1)
            pdf = await self._document(state.terms)
        return await asyncio.to_thread(
            media.page_photo,
            title,
            index,
            pdf=pdf,
            seal_name=self.behaviour.seal_name,
            rng=random.Random(self.rng.random()),  # noqa: S311 - pictures, not secrets
        )

    async def _document(self, terms: m.Authorise) -> bytes | None:
        if terms.doc_url is None:
            return None
        if terms.auth not in self._docs:
            try:
                response = await self.http.get(terms.doc_url, timeout=15)
                ok = response.status_code == 200 and response.content[:5] == b"%PDF-"
                self._docs[terms.auth] = response.content if ok else None
            except httpx.HTTPError:
                self._docs[terms.auth] = None
        return self._docs[terms.auth]

    async def _video(self) -> None:
        data, content_type = await asyncio.to_thread(media.session_video, self.serial)
        sha = await self.upload(data, content_type, "video")
        await self.send([self.device.video(sha, 3, content_type)])

    async def upload(self, data: bytes, content_type: str, purpose: str) -> str:
        """Ask for a grant and PUT the bytes (§11); returns the SHA-256 either way."""
        sha = hashlib.sha256(data).hexdigest()
        if self._client is None:
            self._pending.append((sha, data, content_type, purpose))
            return sha
        await self._upload_now(sha, data, content_type, purpose)
        return sha

    async def _upload_now(self, sha: str, data: bytes, content_type: str, purpose: str) -> None:
        req = sha[:16] + f"{self.rng.getrandbits(32):08x}"
        future: asyncio.Future[m.UploadGrant] = asyncio.get_running_loop().create_future()
        self._grants[req] = future
        await self.publish(
            m.UploadRequest(
                req=req,
                sha256=sha,
                size=len(data),
                content_type=content_type,
                purpose=purpose,  # type: ignore[arg-type]
            )
        )
        try:
            grant = await asyncio.wait_for(future, GRANT_TIMEOUT_S)
        except TimeoutError:
            self._grants.pop(req, None)
            log.debug("%s: no upload grant for %s", self.serial, sha[:12])
            return
        if grant.url is None:
            return
        try:
            response = await self.http.put(
                grant.url, content=data, headers={"content-type": content_type, **grant.headers}
            )
            if response.status_code >= 300:
                log.warning("%s: upload refused (%s)", self.serial, response.status_code)
        except httpx.HTTPError as exc:
            log.warning("%s: upload failed (%s)", self.serial, exc)

    async def _flush_pending_uploads(self) -> None:
        pending, self._pending = self._pending, []
        for sha, data, content_type, purpose in pending:
            self._spawn(self._upload_now(sha, data, content_type, purpose))

    # --- background behaviour -----------------------------------------------------------

    async def _heartbeats(self) -> None:
        await asyncio.sleep(self.rng.uniform(0.2, 1.0))
        while True:
            if self.behaviour.heartbeat:
                await self.publish(self.device.heartbeat())
            await asyncio.sleep(self.device.heartbeat_s)
            self.device.drain(self.device.heartbeat_s)

    async def _activity(self) -> None:
        b = self.behaviour
        while True:
            rates = [r for r in (b.press_every_s, b.alarm_every_s) if r > 0]
            await asyncio.sleep(self.rng.expovariate(sum(1 / r for r in rates)))
            if b.press_every_s and (not b.alarm_every_s or self.rng.random() < _share(b)):
                usable = [s for s in self.device.auths.values() if s.left > 0]
                if usable:
                    state = self.rng.choice(usable)
                    person = self.rng.choice(state.terms.people) if state.terms.people else None
                    await self.press(person, self.rng.randint(1, min(3, state.left)))
            else:
                code = self.rng.choice(m.ALARM_CODES[:9])
                await self.send([self.device.alarm(code, "random")])

    async def _flaps(self) -> None:
        await asyncio.sleep(self.rng.expovariate(1 / self.behaviour.offline_every_s))
        self.go_offline(self.rng.uniform(5, 20))


def _share(b: Behaviour) -> float:
    return (1 / b.press_every_s) / (1 / b.press_every_s + 1 / b.alarm_every_s)


async def _sleep_or(stop: asyncio.Event, seconds: float) -> None:
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(stop.wait(), seconds)
