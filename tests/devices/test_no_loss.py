"""No loss: several devices stream stamp records while the broker restarts, then the
platform restarts; every record is stored exactly once (counted) and acknowledged."""

from __future__ import annotations

import asyncio
import uuid

import httpx
import pytest
from sqlalchemy import func, select

from sealhub.devices.models import DeviceEvent
from sealhub.devices.protocol import messages as m
from tests.builders import login, register_org
from tests.devices import mosquitto
from tests.devices.device import Keys, TestDevice
from tests.devices.helpers import provision, root_unit
from tests.devices.platform import device_app, until

pytestmark = pytest.mark.timeout(180)
DEVICES, RECORDS = 3, 60


def _stamp(i: int) -> m.StampData:
    return m.StampData(
        auth=None,
        item=None,
        person=None,
        fp_slot=None,
        location=None,
        photos=(),
        presses_left=RECORDS - i,
        emergency=False,
    )


async def _stream(device: TestDevice, start: int, end: int) -> None:
    for i in range(start, end):
        device.record(_stamp(i))
        await asyncio.sleep(0.01)


async def test_no_loss_across_broker_then_platform_restart(db_url, tmp_path):
    if not db_url.startswith(("sqlite", "postgresql")):
        pytest.skip("SQLite and PostgreSQL cover the path; MariaDB adds nothing here")
    broker = mosquitto.start(tmp_path / "mq")
    settings = {"mqtt_url": broker.platform_url, "mqtt_port": 0}
    devices: list[TestDevice] = []
    try:
        async with device_app(db_url, tmp_path / "a", **settings) as app:
            transport = httpx.ASGITransport(app=app)
            async with httpx.AsyncClient(transport=transport, base_url="http://x") as client:
                admin = await register_org(client, app)
                unit = await root_unit(admin)
                provisioned = [
                    await provision(admin, unit, serial=f"NL{i}-{uuid.uuid4().hex[:8]}")
                    for i in range(DEVICES)
                ]
                phone = admin.phone
            async with app.state.runtime.db.read_sessions() as session:
                from sealhub.devices import service as devices_service

                broker.add_devices(await devices_service.mosquitto_passwords(session))
            for out in provisioned:
                d = TestDevice(Keys.from_provisioned(out), "127.0.0.1", broker.port)
                await d.connect()
                devices.append(d)
            # first third, then the broker goes away and comes back mid-stream
            await asyncio.gather(*(_stream(d, 0, RECORDS // 3) for d in devices))
            streams = [
                asyncio.create_task(_stream(d, RECORDS // 3, 2 * RECORDS // 3)) for d in devices
            ]
            await asyncio.sleep(0.15)
            broker.restart()
            await asyncio.gather(*streams)
            await until(lambda: all(d.reconnects >= 1 for d in devices), timeout=20)
        # the platform is down: the devices keep stamping (kept in their journals)
        tail = [asyncio.create_task(_stream(d, 2 * RECORDS // 3, RECORDS)) for d in devices]
        await asyncio.sleep(0.2)
        # same data folder: the same master key, hence the same platform signing key
        async with device_app(db_url, tmp_path / "a", **settings) as app2:
            await asyncio.gather(*tail)
            await until(lambda: all(not d.journal.kept for d in devices), timeout=40)
            async with app2.state.runtime.db.read_sessions() as session:
                for out in provisioned:
                    count = await session.scalar(
                        select(func.count()).where(
                            DeviceEvent.device_id == uuid.UUID(out["device"]["id"])
                        )
                    )
                    assert count == RECORDS, (out["device"]["serial"], count)
            transport = httpx.ASGITransport(app=app2)
            async with httpx.AsyncClient(transport=transport, base_url="http://x") as client:
                admin = await login(client, phone)
                listed = await admin.get(
                    f"/api/v1/devices/{provisioned[0]['device']['id']}/events",
                    params={"page_size": 200},
                )
                assert sorted(e["seq"] for e in listed["items"]) == list(range(1, RECORDS + 1))
    finally:
        for d in devices:
            await d.close()
        broker.stop()
