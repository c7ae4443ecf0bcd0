"""What the ingest refuses (forged, replayed, stale, foreign-topic messages: counted, nothing
stored), what a revoked authorisation and a used one-time code can no longer open, and the
commands' round trip with their states."""

from __future__ import annotations

import time

import httpx
import pytest

from sealhub.devices.protocol import messages as m
from sealhub.devices.protocol import otc, topics
from sealhub.devices.protocol.signing import Signer
from tests.devices.platform import (
    approved_request,
    connect,
    device_app,
    gateway,
    scene,
    until,
)

pytestmark = pytest.mark.timeout(120)


@pytest.fixture
async def embedded(db_url, tmp_path):
    if not db_url.startswith("sqlite"):
        pytest.skip("the ingest's rules do not depend on the database (the journey runs on all)")
    async with device_app(db_url, tmp_path) as app:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://sealhub.test") as c:
            yield app, c


def _hb(battery: int) -> m.Heartbeat:
    return m.Heartbeat(
        battery=battery,
        ink_presses=1,
        ink_capacity=1000,
        firmware="1.0.0",
        location=None,
        lock="locked",
        mode="application",
        camera=True,
        signal=-60,
        storage_free_kb=1,
    )


async def test_forged_replayed_and_stale_messages_are_rejected_and_counted(embedded):
    app, client = embedded
    s = await scene(client, app)
    device = await connect(app, s.keys)
    path = f"/api/v1/devices/{s.device['id']}"
    ingest = gateway(app).ingest
    try:
        device.heartbeat(battery=50)
        await until(lambda: _battery(s, path, 50))
        before = dict(ingest.stats.rejected)
        serial = s.keys.serial
        up = topics.up(serial, "heartbeat")
        # forged: the right shape, signed by a key that is not the device's
        forged = Signer.generate()
        from sealhub.devices.protocol import codec

        device.seq += 1
        device.raw(
            up,
            codec.encode(
                _hb(11), device=serial, seq=device.seq, ts=int(time.time() * 1000), signer=forged
            ),
        )
        # replayed: a genuine message sent twice
        genuine = device.send(_hb(51))
        await until(lambda: _battery(s, path, 51))
        device.raw(up, genuine)
        # stale: genuine signature, ten minutes old
        device.send(_hb(12), ts=int(time.time() * 1000) - 600_000)
        # one flipped byte of a genuine message
        tampered = bytearray(device.envelope(_hb(13)))
        tampered[tampered.index(b'"battery":13') + 10] = ord("4")
        device.raw(up, bytes(tampered))
        await until(lambda: sum(ingest.stats.rejected.values()) - sum(before.values()) >= 4)
        got = {k: ingest.stats.rejected[k] - before.get(k, 0) for k in ingest.stats.rejected}
        assert got["bad_signature"] == 2 and got["replay"] == 1 and got["stale"] == 1
        # nothing of them stored: the twin still says 51, the history has 50 and 51 only
        assert (await s.admin.get(path))["twin"]["battery"] == 51
        history = await s.admin.get(f"{path}/telemetry")
        assert sorted(t["battery"] for t in history) == [50, 51]
    finally:
        await device.close()


async def _battery(s, path, value) -> bool:
    return (await s.admin.get(path))["twin"].get("battery") == value


async def test_a_revoked_authorisation_cannot_unlock(embedded):
    app, client = embedded
    s = await scene(client, app)
    device = await connect(app, s.keys)
    try:
        request_id = await approved_request(s, presses=2)
        await until(lambda: bool(device.auths))
        code = (await s.employee.get(f"/api/v1/requests/{request_id}/device-codes"))[0]["code"]
        await s.employee.post(
            f"/api/v1/requests/{request_id}/end", json={"reason": "不用了"}, expect=200
        )
        await until(lambda: not device.auths)  # the revoke reached the device
        with pytest.raises(PermissionError, match="no_authorisation"):
            device.unlock(s.employee.user_id, code)
        cmds = (await s.admin.get(f"/api/v1/devices/{s.device['id']}/commands"))["items"]
        await until(lambda: _states(s), timeout=10)
        assert {c["kind"] for c in cmds} >= {"authorise", "revoke"}
    finally:
        await device.close()


async def _states(s) -> bool:
    cmds = (await s.admin.get(f"/api/v1/devices/{s.device['id']}/commands"))["items"]
    return all(c["state"] == "done" for c in cmds)


async def test_a_one_time_code_opens_once(embedded):
    app, client = embedded
    s = await scene(client, app)
    out = await s.keeper.post(
        f"/api/v1/devices/{s.device['id']}/offline-codes", json={"user_id": s.employee.user_id}
    )
    assert len(out["code"]) == 8
    secret = bytes.fromhex(_secret_of(s))
    verifier = otc.OtcVerifier(secret, s.keys.serial)
    now = int(time.time() * 1000)
    assert verifier.check(s.employee.user_id, out["code"], now) is otc.OtcVerdict.OK
    assert verifier.check(s.employee.user_id, out["code"], now) is otc.OtcVerdict.USED
    # for another person the same code is nothing
    assert verifier.check(s.keeper.user_id, out["code"], now) is otc.OtcVerdict.INVALID
    audit = await s.admin.get("/api/v1/audit", params={"action": "device.issue_code"})
    assert audit["total"] == 1


def _secret_of(s) -> str:
    return str(s.keys.secret_hex)
