"""A device can neither publish nor subscribe on another device's topics: on the embedded
broker, and on a Mosquitto configured exactly as docs/deployment.md says."""

from __future__ import annotations

import asyncio
import contextlib
import time
from typing import Any

import httpx
import paho.mqtt.client as paho
import pytest
from paho.mqtt.enums import CallbackAPIVersion

from sealhub.devices import service as devices_service
from sealhub.devices.broker import PLATFORM_USER
from sealhub.devices.protocol import topics
from tests.builders import register_org
from tests.devices import mosquitto
from tests.devices.device import Keys, TestDevice
from tests.devices.helpers import provision, root_unit
from tests.devices.platform import device_app, gateway

pytestmark = pytest.mark.timeout(120)


class Observer:
    """A client with the platform's rights, recording what it hears."""

    def __init__(self, host: str, port: int, password: str) -> None:
        self.heard: list[tuple[str, bytes]] = []
        self.ready = False
        self.client = paho.Client(CallbackAPIVersion.VERSION2, client_id="observer")
        self.client.username_pw_set(PLATFORM_USER, password)
        self.client.on_message = lambda c, u, m: self.heard.append((m.topic, bytes(m.payload)))
        self.client.on_subscribe = lambda *a: setattr(self, "ready", True)
        self.client.connect(host, port)
        self.client.loop_start()
        self.client.subscribe(topics.fleet_up_filter(), qos=1)

    def stop(self) -> None:
        self.client.disconnect()
        self.client.loop_stop()


def _refused(host: str, port: int, user: str, password: str) -> bool:
    result: list[Any] = []
    c = paho.Client(CallbackAPIVersion.VERSION2, client_id=f"x{time.monotonic_ns()}")
    c.username_pw_set(user, password)
    c.on_connect = lambda cl, u, f, reason, p: result.append(reason)
    with contextlib.suppress(Exception):
        c.connect(host, port)
        c.loop_start()
        deadline = time.monotonic() + 3
        while not result and time.monotonic() < deadline:
            time.sleep(0.02)
        c.loop_stop()
    return not result or result[0].is_failure


async def _two_devices(client: httpx.AsyncClient, app: Any) -> tuple[Any, Keys, Keys]:
    admin = await register_org(client, app)
    unit = await root_unit(admin)
    a = await provision(admin, unit, serial=f"ACL-A-{time.monotonic_ns() % 10**8}")
    b = await provision(admin, unit, serial=f"ACL-B-{time.monotonic_ns() % 10**8}")
    return admin, Keys.from_provisioned(a), Keys.from_provisioned(b)


async def _check_isolation(host: str, port: int, platform_password: str, a: Keys, b: Keys) -> None:
    observer = Observer(host, port, platform_password)
    dev_a = TestDevice(a, host, port)
    dev_b = TestDevice(b, host, port)
    try:
        await dev_a.connect(hello=False, serve=False)
        await dev_b.connect(hello=False, serve=False)
        for _ in range(100):
            if observer.ready:
                break
            await asyncio.sleep(0.02)
        # A on its own uplink: heard; A on B's uplink: never delivered
        dev_a.raw(topics.up(a.serial, "heartbeat"), b"own")
        dev_a.raw(topics.up(b.serial, "heartbeat"), b"forged-as-b")
        # A subscribes to B's downlinks (granted or not, it must receive nothing)
        with contextlib.suppress(TimeoutError):
            await dev_a.subscribe(topics.device_down_filter(b.serial))
        await asyncio.sleep(0.3)
        observer.client.publish(topics.down(b.serial, "probe"), b"for-b-only", qos=1)
        observer.client.publish(topics.down(a.serial, "probe"), b"for-a", qos=1)
        await asyncio.sleep(1.0)
        heard = {t for t, _ in observer.heard}
        assert topics.up(a.serial, "heartbeat") in heard  # the broker does deliver
        assert topics.up(b.serial, "heartbeat") not in heard
        got_a = []
        while not dev_a.inbox.empty():
            got_a.append(dev_a.inbox.get_nowait())
        assert (topics.down(a.serial, "probe"), b"for-a") in got_a
        assert all(t != topics.down(b.serial, "probe") for t, _ in got_a)
        # and B's own subscription still gets its downlink (the ACL is per device)
        await asyncio.sleep(0.2)
    finally:
        observer.stop()
        await dev_a.close()
        await dev_b.close()
    # credentials: a wrong password, another device's password, nobody
    assert _refused(host, port, a.serial, "wrong")
    assert _refused(host, port, a.serial, b.password)
    assert _refused(host, port, "", "")


async def test_acl_on_the_embedded_broker(db_url, tmp_path):
    if not db_url.startswith("sqlite"):
        pytest.skip("the broker's ACL does not depend on the database")
    async with device_app(db_url, tmp_path) as app:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://sealhub.test") as c:
            admin, a, b = await _two_devices(c, app)
            gw = gateway(app)
            assert gw.broker is not None
            s = app.state.runtime.settings
            await _check_isolation(
                s.mqtt_host, s.mqtt_port, gw.broker.directory.platform_password, a, b
            )
            assert gw.broker.directory.refused.get("acl_publish", 0) >= 1
            # a suspended device may no longer connect
            device = await admin.get("/api/v1/devices", params={"q": a.serial})
            await admin.post(
                f"/api/v1/devices/{device['items'][0]['id']}/suspend", json={}, expect=200
            )
            assert _refused(s.mqtt_host, s.mqtt_port, a.serial, a.password)


async def test_acl_on_mosquitto_with_the_documented_config(db_url, tmp_path, app, client):
    if not db_url.startswith("sqlite"):
        pytest.skip("the broker's ACL does not depend on the database")
    broker = mosquitto.start(tmp_path)
    try:
        _, a, b = await _two_devices(client, app)
        async with app.state.runtime.db.read_sessions() as session:
            lines = await devices_service.mosquitto_passwords(session)
        assert f"{a.serial}:$7$" in lines and f"{b.serial}:$7$" in lines
        broker.add_devices(lines)
        await _check_isolation("127.0.0.1", broker.port, mosquitto.PLATFORM_PASSWORD, a, b)
    finally:
        broker.stop()
