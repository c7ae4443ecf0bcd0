"""The whole journey against a real broker: application approved -> authorisation pushed
-> the device unlocks -> three presses with photos -> the device locks itself -> the
application is completed with three photos stored and verifiable by SHA-256."""

from __future__ import annotations

import hashlib

import httpx
import pytest

from sealhub.devices import service as devices_service
from tests.devices import mosquitto
from tests.devices.platform import (
    approved_request,
    connect,
    device_app,
    gateway,
    scene,
    until,
    uploader,
)
from tests.storage.samples import image


@pytest.fixture
async def embedded(db_url, tmp_path):
    async with device_app(db_url, tmp_path) as app:
        yield app


async def journey(app, sync=None) -> None:
    transport = httpx.ASGITransport(app=app, client=("203.0.113.7", 50000))
    async with httpx.AsyncClient(transport=transport, base_url="http://sealhub.test") as client:
        s = await scene(client, app)
        if sync is not None:  # an external broker learns the new device's password
            await sync(app)
        device = await connect(app, s.keys)
        try:
            path = f"/api/v1/devices/{s.device['id']}"
            twin = await s.admin.get(path)
            assert twin["online"] is True and twin["status"] == "active"
            device.heartbeat(battery=77)
            await until(lambda: _twin_battery(s, path, 77))

            request_id = await approved_request(s, presses=3)
            await until(lambda: bool(device.auths))
            auth = next(iter(device.auths.values())).args
            assert auth.presses == 3 and auth.people == (s.employee.user_id,)

            codes = await s.employee.get(f"/api/v1/requests/{request_id}/device-codes")
            assert len(codes) == 1 and codes[0]["seal_id"] == s.seal_id
            # a wrong code does not open it
            with pytest.raises(PermissionError):
                device.unlock(s.employee.user_id, "000000" if codes[0]["code"] != "000000" else "1")
            device.unlock(s.employee.user_id, codes[0]["code"])
            photos = [image(size=(64 + i, 32)) for i in range(3)]
            for photo in photos:
                await device.press(photo, uploader(client))
            assert device.locked  # zero presses left: locked itself
            with pytest.raises(PermissionError):
                device.unlock(s.employee.user_id, codes[0]["code"])
            # every record acknowledged only once stored
            await until(lambda: not device.journal.kept)

            req = await s.employee.get(f"/api/v1/requests/{request_id}")
            assert req["items"][0]["presses_used"] == 3
            assert req["status"] == "completed"  # the last press completed the application
            events = await s.keeper.get(f"/api/v1/requests/{request_id}/device-events")
            stamps = [e for e in events["items"] if e["kind"] == "stamp"]
            assert len(stamps) == 3
            shas = {e["body"]["photos"][0] for e in stamps}
            assert shas == {hashlib.sha256(p).hexdigest() for p in photos}
            for sha in shas:
                r = await s.keeper.call("GET", f"{path}/photo", params={"sha256": sha})
                assert r.status_code == 200 and hashlib.sha256(r.content).hexdigest() == sha
            kinds = [e["kind"] for e in (await s.admin.get(f"{path}/events"))["items"]]
            assert sorted(kinds) == ["lock", "stamp", "stamp", "stamp", "unlock"]
            cmds = (await s.admin.get(f"{path}/commands"))["items"]
            assert [c["state"] for c in cmds if c["kind"] == "authorise"] == ["done"]
            assert gateway(app).ingest.stats.rejected == {}
        finally:
            await device.close()


async def _twin_battery(s, path, value) -> bool:
    twin = await s.admin.get(path)
    return twin["twin"].get("battery") == value


async def test_journey_on_the_embedded_broker(embedded):
    await journey(embedded)


async def test_journey_on_mosquitto(db_url, tmp_path):
    if not db_url.startswith("sqlite"):
        pytest.skip("the broker's part does not depend on the database (embedded runs on all)")
    broker = mosquitto.start(tmp_path / "mq")

    async def sync(app) -> None:
        async with app.state.runtime.db.read_sessions() as session:
            broker.add_devices(await devices_service.mosquitto_passwords(session))

    try:
        async with device_app(
            db_url, tmp_path / "data", mqtt_url=broker.platform_url, mqtt_port=0
        ) as app:
            assert gateway(app).broker is None  # no embedded broker: the external one
            await journey(app, sync)
    finally:
        broker.stop()
