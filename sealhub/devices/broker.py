"""MQTT: the embedded broker (amqtt, MQTT 3.1.1) and the platform's client link (paho).

The embedded broker authenticates each device by its serial and MQTT password (the same
Mosquitto `$7$` hash provisioning stored) and lets a device publish only on its own
`sealhub/v1/{serial}/up/...` and subscribe only to its own `.../down/...`; the platform's
own client (a random password made at start, never stored) may read every uplink and
write every downlink. With an external broker (Mosquitto, EMQX) the same link subscribes
through a shared subscription so several platform processes split the uplinks.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import secrets
import socket
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import unquote, urlsplit

import paho.mqtt.client as paho
from paho.mqtt.enums import CallbackAPIVersion

from sealhub.devices import credentials

log = logging.getLogger("sealhub.devices.broker")

PREFIX = "sealhub/v1"
PLATFORM_USER = "sealhub-platform"

# ---- the embedded broker ----

Lookup = Callable[[str], Awaitable[str | None]]


@dataclass
class Directory:
    """Who may connect to the embedded broker: the platform's own user and the devices
    (`lookup(serial)` gives the stored password hash of a device allowed to connect)."""

    platform_password: str
    lookup: Lookup
    # refused connections and topic accesses, by reason (the tests and metrics read them)
    refused: dict[str, int] = field(default_factory=dict)

    def count(self, reason: str) -> None:
        self.refused[reason] = self.refused.get(reason, 0) + 1


_DIRECTORY: Directory | None = None


def _own(username: str, topic: str, *, direction: str) -> bool:
    parts = topic.split("/")
    return (
        len(parts) >= 4
        and parts[0] == "sealhub"
        and parts[1] == "v1"
        and parts[2] == username
        and parts[3] == direction
        and "+" not in parts
        and "#" not in parts[:4]
    )


def may(username: str | None, topic: str, action: str) -> bool:
    """The topic ACL: the platform everything under sealhub/v1, a device its own topics."""
    if not username:
        return False
    if username == PLATFORM_USER:
        return topic.startswith(PREFIX + "/")
    if action == "publish":
        return _own(username, topic, direction="up")
    # subscribe (and receive): only its own downlinks
    return _own(username, topic, direction="down")


try:  # amqtt's plugin bases (the broker loads this class by its dotted name)
    from amqtt.contexts import Action
    from amqtt.plugins.base import BaseAuthPlugin, BaseTopicPlugin

    class DeviceAuthPlugin(BaseAuthPlugin):  # type: ignore[misc]
        """Password check against the devices table (and the platform's own user)."""

        async def authenticate(self, *, session: Any) -> bool | None:
            directory = _DIRECTORY
            if directory is None:
                return False
            user, password = session.username, session.password or ""
            if not user:
                directory.count("anonymous")
                return False
            if user == PLATFORM_USER:
                ok = secrets.compare_digest(password, directory.platform_password)
            else:
                stored = await directory.lookup(user)
                ok = stored is not None and credentials.verify_password(password, stored)
            if not ok:
                directory.count("bad_credentials")
            return ok

    class DeviceTopicPlugin(BaseTopicPlugin):  # type: ignore[misc]
        """Each device on its own topics only."""

        async def topic_filtering(
            self, *, session: Any = None, topic: str | None = None, action: Any = None
        ) -> bool | None:
            directory = _DIRECTORY
            user = session.username if session is not None else None
            kind = "publish" if action == Action.PUBLISH else "subscribe"
            ok = bool(topic) and may(user, str(topic), kind)
            if not ok and directory is not None:
                directory.count(f"acl_{kind}")
            return ok

except ImportError:  # pragma: no cover - amqtt is a dependency
    pass


class EmbeddedBroker:
    """amqtt in this process, bound to the configured address only (never 0.0.0.0)."""

    def __init__(self, host: str, port: int, directory: Directory) -> None:
        self.host, self.port, self.directory = host, port, directory
        self._broker: Any = None

    @property
    def url(self) -> str:
        return f"mqtt://{self.host}:{self.port}"

    async def start(self) -> None:
        from amqtt.broker import Broker

        global _DIRECTORY
        _DIRECTORY = self.directory
        config = {
            "listeners": {"default": {"type": "tcp", "bind": f"{self.host}:{self.port}"}},
            "plugins": {
                f"{__name__}.DeviceAuthPlugin": {},
                f"{__name__}.DeviceTopicPlugin": {},
            },
        }
        self._broker = Broker(config)
        await self._broker.start()

    async def stop(self) -> None:
        global _DIRECTORY
        if self._broker is not None:
            with contextlib.suppress(Exception):
                await self._broker.shutdown()
            self._broker = None
        if _DIRECTORY is self.directory:
            _DIRECTORY = None


# ---- the platform's client link ----


@dataclass(frozen=True)
class Incoming:
    topic: str
    payload: bytes
    mid: int
    qos: int


@dataclass(frozen=True)
class BrokerUrl:
    host: str
    port: int
    username: str | None
    password: str | None

    @classmethod
    def parse(cls, url: str) -> BrokerUrl:
        parts = urlsplit(url)
        if parts.scheme not in ("mqtt", "tcp"):
            raise ValueError(f"unsupported MQTT URL scheme: {parts.scheme!r}")
        return cls(
            host=parts.hostname or "127.0.0.1",
            port=parts.port or 1883,
            username=unquote(parts.username) if parts.username else None,
            password=unquote(parts.password) if parts.password else None,
        )


class Link:
    """A paho client on its own network thread, handing messages to the asyncio loop.

    Uplinks are acknowledged to the broker (`ack`) only after the batch that holds them
    has committed (manual acks). The session is clean: a persistent one would stay a member
    of the shared group after this process is gone and the broker would keep handing it
    every n-th message; what a dead process never stored, the devices resend from their
    journals after the next welcome (a new process probes every device marked online)."""

    def __init__(
        self,
        url: BrokerUrl,
        *,
        client_id: str,
        subscription: str,
        on_message: Callable[[Incoming], None],
        shared: bool,
    ) -> None:
        self.url = url
        self.subscription = subscription
        self.shared = shared
        self._on_message = on_message
        self._loop = asyncio.get_running_loop()
        self.connected = asyncio.Event()
        self._client = paho.Client(
            CallbackAPIVersion.VERSION2,
            client_id=client_id,
            clean_session=True,
            protocol=paho.MQTTv311,
            manual_ack=True,
        )
        if url.username:
            self._client.username_pw_set(url.username, url.password)
        self._client.max_inflight_messages_set(1000)
        self._client.max_queued_messages_set(0)
        self._client.reconnect_delay_set(min_delay=1, max_delay=2)
        self._client.on_connect = self._connected
        self._client.on_disconnect = self._disconnected
        self._client.on_message = self._message
        self._client.on_subscribe = self._subscribed
        self._client.on_socket_open = self._nodelay

    @staticmethod
    def _nodelay(client: Any, userdata: Any, sock: Any) -> None:
        # without it each small QoS 1 hop waits for the peer's delayed ACK (~40 ms)
        with contextlib.suppress(OSError, AttributeError):
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def _connected(self, client: Any, userdata: Any, flags: Any, reason: Any, props: Any) -> None:
        if getattr(reason, "is_failure", False):
            log.warning("MQTT connection refused", extra={"reason": str(reason)})
            return
        client.subscribe(self.subscription, qos=1)

    def _subscribed(self, client: Any, userdata: Any, mid: Any, codes: Any, props: Any) -> None:
        # ready once the broker confirmed the subscription: earlier uplinks find nobody
        self._loop.call_soon_threadsafe(self.connected.set)

    def _disconnected(
        self, client: Any, userdata: Any, flags: Any, reason: Any, props: Any
    ) -> None:
        self._loop.call_soon_threadsafe(self.connected.clear)

    def _message(self, client: Any, userdata: Any, msg: Any) -> None:
        item = Incoming(msg.topic, bytes(msg.payload), msg.mid, msg.qos)
        self._loop.call_soon_threadsafe(self._on_message, item)

    async def start(self, wait_s: float = 10.0) -> None:
        self._client.connect_async(self.url.host, self.url.port, keepalive=30)
        self._client.loop_start()
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self.connected.wait(), wait_s)

    def publish(self, topic: str, payload: bytes) -> None:
        self._client.publish(topic, payload, qos=1)

    def ack(self, items: list[Incoming]) -> None:
        for item in items:
            if item.qos > 0:
                self._client.ack(item.mid, item.qos)

    async def stop(self) -> None:
        self._client.disconnect()
        await asyncio.to_thread(self._client.loop_stop)
