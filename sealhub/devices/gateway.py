"""The device channel of one platform process: the embedded broker (unless an external one
is configured), the MQTT link, the ingest pipeline, command dispatch and the sweeps.

    gateway = await start(runtime)   # from the app lifespan / `sealhub serve`
    ...
    await gateway.stop()
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import secrets
import uuid
from datetime import timedelta
from typing import Any

from sealhub.devices import repository, wire
from sealhub.devices.broker import (
    PLATFORM_USER,
    BrokerUrl,
    Directory,
    EmbeddedBroker,
    Incoming,
    Link,
)
from sealhub.devices.ingest import Ingest
from sealhub.devices.keys import platform_signer
from sealhub.devices.policy import CONNECTABLE, CommandAction
from sealhub.devices.protocol import messages as m
from sealhub.devices.protocol import topics
from sealhub.devices.service import _common, channel
from sealhub.platform import clock
from sealhub.platform.runtime import Runtime

log = logging.getLogger("sealhub.devices.gateway")
SWEEP_S = 5.0


class Gateway:
    def __init__(self, runtime: Runtime) -> None:
        self.runtime = runtime
        s = runtime.settings
        self.broker: EmbeddedBroker | None = None
        self.link: Link | None = None
        self.signer = platform_signer(runtime.envelope)
        self.ingest = Ingest(
            runtime,
            self.signer,
            publish=self._publish,
            ack=self._ack,
            kick=self._kick_soon,
            media_url=lambda token: f"{s.public_url.rstrip('/')}/api/v1/device-media/{token}",
            batch_ms=s.device_ingest_batch_ms,
        )
        self._tasks: list[asyncio.Task[Any]] = []
        self._stopping = asyncio.Event()

    @property
    def broker_url(self) -> str:
        s = self.runtime.settings
        if s.mqtt_url:
            return s.mqtt_url
        assert self.broker is not None
        return self.broker.url

    async def start(self) -> None:
        s = self.runtime.settings
        if s.mqtt_url:
            url, shared = BrokerUrl.parse(s.mqtt_url), True
        else:
            password = secrets.token_urlsafe(24)
            self.broker = EmbeddedBroker(
                s.mqtt_host, s.mqtt_port, Directory(password, self._password_of)
            )
            await self.broker.start()
            url, shared = BrokerUrl(s.mqtt_host, s.mqtt_port, PLATFORM_USER, password), False
        # MQTT 3.1.1 brokers without shared subscriptions (amqtt) get the plain filter
        subscription = topics.fleet_up_filter(shared=shared)
        if shared and s.mqtt_shared_group != topics.SHARED_GROUP:
            subscription = f"$share/{s.mqtt_shared_group}/{topics.fleet_up_filter()}"
        self.ingest.start()
        self.link = Link(
            url,
            client_id=f"sealhub-platform-{uuid.uuid4().hex[:8]}" if not shared else _stable_id(),
            subscription=subscription,
            on_message=self.ingest.put,
            shared=shared,
        )
        await self.link.start()
        _common.on_commands(self.kick)
        self._tasks.append(asyncio.create_task(self._sweeps()))
        # devices marked online may have sent records while no platform listened: ask them
        # for a hello (a welcome makes them resend what was never acknowledged)
        self._tasks.append(asyncio.create_task(self._probe_online()))

    async def stop(self) -> None:
        self._stopping.set()
        _common.off_commands(self.kick)
        for task in self._tasks:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        if self.link is not None:
            await self.link.stop()
        await self.ingest.stop()
        if self.broker is not None:
            await self.broker.stop()

    async def drained(self, timeout_s: float = 10.0) -> None:
        """Wait until every received message has been handled (tests, shutdown)."""
        await asyncio.wait_for(self.ingest.idle.wait(), timeout_s)

    # ---- broker callbacks ----

    async def _password_of(self, serial: str) -> str | None:
        async with self.runtime.db.read_sessions() as session:
            device = await repository.serial_exists(session, serial)
        if device is None or device.status not in CONNECTABLE:
            return None
        return device.mqtt_password_hash

    def _publish(self, topic: str, payload: bytes) -> None:
        if self.link is not None:
            self.link.publish(topic, payload)

    def _ack(self, items: list[Incoming]) -> None:
        if self.link is not None:
            self.link.ack(items)

    # ---- commands ----

    def _kick_soon(self, device_id: uuid.UUID, resend: bool) -> None:
        task = asyncio.create_task(self.send_commands(device_id, resend=resend))
        self._tasks.append(task)
        task.add_done_callback(lambda t: self._tasks.remove(t) if t in self._tasks else None)

    async def kick(self, device_id: uuid.UUID) -> None:
        # called inside a commit: do the sending in a task of its own
        self._kick_soon(device_id, False)

    async def send_commands(self, device_id: uuid.UUID, *, resend: bool = False) -> int:
        """Publish the device's queued commands (and, after a reconnect, unanswered ones)."""
        sent: list[tuple[str, bytes]] = []
        async with self.runtime.transaction() as session:
            device, cmds = await channel.commands_to_send(session, device_id, resend=resend)
            if device is None:
                return 0
            for cmd in cmds:
                name, args, problem = wire.command_args(cmd.kind, cmd.params)
                if args is None:
                    await channel.mark_failed(session, cmd, f"bad_args: {problem}")
                    continue
                expires = int((cmd.timeout_at or clock.now()).timestamp() * 1000)
                body = m.Command(id=str(cmd.id), name=name, args=args, expires=expires)
                sent.append(self.ingest.command_payload(device.serial, body))
                await channel.mark_sent(session, cmd)
        for topic, payload in sent:
            self._publish(topic, payload)
        return len(sent)

    # ---- sweeps: offline devices, command timeouts, queued commands, telemetry ----

    async def _sweeps(self) -> None:
        while not self._stopping.is_set():
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._stopping.wait(), SWEEP_S)
            if self._stopping.is_set():
                return
            try:
                await self.sweep()
            except Exception:
                log.exception("device sweep failed")

    async def sweep(self) -> None:
        s = self.runtime.settings
        now = clock.now()
        await self.ingest.refresh()
        self.ingest.probe_gapped()
        async with self.runtime.transaction() as session:
            silent = await repository.stale_online(
                session, now - timedelta(seconds=s.device_heartbeat_timeout_seconds), 500
            )
            for device in silent:
                await channel.offline(session, device, "heartbeat_timeout")
                from sealhub.devices.service import alarms

                await alarms.raise_alert(
                    session,
                    device.org_id,
                    "device.offline",
                    device.id,
                    {
                        "last_seen_at": device.last_seen_at.isoformat()
                        if device.last_seen_at
                        else None
                    },
                )
            for cmd in await repository.overdue_commands(session, now, 500):
                from sealhub.devices import policy

                cmd.state = policy.COMMAND_STATE.transition(cmd.state, CommandAction.TIME_OUT)
                cmd.finished_at = now
                await _common.command_changed(session, cmd)
        for device_id in await self._with_queued():
            await self.send_commands(device_id)

    async def _with_queued(self) -> list[uuid.UUID]:
        async with self.runtime.db.read_sessions() as session:
            return await repository.online_with_queued(session)

    async def _probe_online(self) -> None:
        if self.link is None:
            return
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self.link.connected.wait(), 10)
        async with self.runtime.db.read_sessions() as session:
            serials = await repository.online_serials(session)
        for serial in serials:
            self.ingest._send(serial, m.Probe())


def _stable_id() -> str:
    # one persistent session per process with an external broker (unacked QoS 1 kept)
    return f"sealhub-{uuid.uuid4().hex[:12]}"


_RUNNING: dict[int, Gateway] = {}


async def start(runtime: Runtime) -> Gateway | None:
    """Start this process's device channel, unless devices are turned off (port 0, no URL)."""
    s = runtime.settings
    if not s.mqtt_url and not s.mqtt_port:
        return None
    gateway = Gateway(runtime)
    await gateway.start()
    runtime.extras["devices.gateway"] = gateway
    return gateway
