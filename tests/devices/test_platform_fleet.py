"""Provisioning, credentials, status, transfer, seal binding and commands over the API."""

from __future__ import annotations

import uuid

from sealhub.devices import credentials
from tests.builders import add_member, create_unit, register_org
from tests.devices.helpers import provision, root_unit, smart_seal


async def test_provision_issues_credentials_once_and_refuses_a_second_claim(client, app):
    admin = await register_org(client, app)
    unit = await root_unit(admin)
    out = await provision(admin, unit, serial="SH-PROV-" + uuid.uuid4().hex[:6])
    device, creds = out["device"], out["credentials"]
    assert device["status"] == "provisioned" and device["online"] is False
    assert creds["mqtt_username"] == device["serial"]
    assert len(creds["platform_public_key_hex"]) == 64
    assert len(creds["mqtt_password"]) >= 24
    # the seed the platform made matches the public key it registered
    assert credentials.public_of(creds["ed25519_seed_hex"]) == device["public_key_hex"]
    assert len(bytes.fromhex(creds["device_secret_hex"])) == 32
    # the reads never show a credential again
    again = await admin.get(f"/api/v1/devices/{device['id']}")
    assert "credentials" not in again and creds["mqtt_password"] not in str(again)
    # the same serial in any organisation: refused
    other = await register_org(client, app, org_name="别家公司")
    r = await other.call(
        "POST",
        "/api/v1/devices",
        json={
            "serial": device["serial"],
            "claim_code": "whatever1",
            "name": "x",
            "unit_id": await root_unit(other),
        },
    )
    assert r.status_code == 409 and r.json()["code"] == "device.serial_taken"


async def test_provision_by_qr_and_with_the_devices_own_key(client, app):
    admin = await register_org(client, app)
    unit = await root_unit(admin)
    _seed, public = credentials.new_key_pair()
    serial = "SH-QR-" + uuid.uuid4().hex[:6]
    out = await admin.post(
        "/api/v1/devices",
        json={
            "qr": credentials.qr_payload(serial, "CLAIM-QR-1"),
            "name": "前台印章",
            "unit_id": unit,
            "public_key_hex": public,
        },
    )
    assert out["device"]["serial"] == serial
    assert out["device"]["public_key_hex"] == public
    assert out["credentials"]["ed25519_seed_hex"] is None  # the device keeps its own
    bad = await admin.call(
        "POST",
        "/api/v1/devices",
        json={"qr": "https://example.com/?serial=1", "name": "x", "unit_id": unit},
    )
    assert bad.status_code == 422 and bad.json()["code"] == "device.bad_claim_code"


def test_mqtt_password_hash_is_mosquittos_format():
    stored = credentials.hash_password("s3cret-pw")
    assert stored.startswith("$7$101$")
    assert credentials.verify_password("s3cret-pw", stored)
    assert not credentials.verify_password("s3cret-pX", stored)


async def test_bind_swap_unbind_and_one_device_per_seal(client, app):
    admin = await register_org(client, app)
    unit = await root_unit(admin)
    d1 = (await provision(admin, unit))["device"]
    d2 = (await provision(admin, unit))["device"]
    s1, s2 = await smart_seal(admin, unit), await smart_seal(admin, unit)
    bound = await admin.post(f"/api/v1/devices/{d1['id']}/bind", json={"seal_id": s1}, expect=200)
    assert bound["seal_id"] == s1
    # the seal sits in d1: d2 cannot take it
    r = await admin.call("POST", f"/api/v1/devices/{d2['id']}/bind", json={"seal_id": s1})
    assert r.status_code == 409 and r.json()["code"] == "device.seal_bound_elsewhere"
    # a swap in d1 is recorded in the history
    await admin.post(
        f"/api/v1/devices/{d1['id']}/bind", json={"seal_id": s2, "reason": "换章"}, expect=200
    )
    history = await admin.get(f"/api/v1/devices/{d1['id']}/bindings")
    assert [h["seal_id"] for h in history] == [s2, s1]
    assert history[1]["unbound_at"] is not None and history[0]["unbound_at"] is None
    # now s1 is free for d2
    await admin.post(f"/api/v1/devices/{d2['id']}/bind", json={"seal_id": s1}, expect=200)
    listed = await admin.get("/api/v1/devices", params={"seal_id": s1})
    assert [d["id"] for d in listed["items"]] == [d2["id"]]
    await admin.post(f"/api/v1/devices/{d2['id']}/unbind", json={"reason": "维修"}, expect=200)
    r = await admin.call("POST", f"/api/v1/devices/{d2['id']}/unbind", json={})
    assert r.status_code == 409 and r.json()["code"] == "device.not_bound"
    # a physical seal is no smart seal
    physical = await admin.post(
        "/api/v1/seals",
        json={
            "kind": "physical",
            "type": "official",
            "name": "实体章",
            "code": f"P{uuid.uuid4().hex[:6]}",
            "unit_id": unit,
            "keeper_ids": [admin.user_id],
        },
    )
    r = await admin.call(
        "POST", f"/api/v1/devices/{d2['id']}/bind", json={"seal_id": physical["id"]}
    )
    assert r.status_code == 422 and r.json()["code"] == "device.seal_not_smart"
    audit = await admin.get("/api/v1/audit", params={"target_id": d1["id"]})
    actions = {e["action"] for e in audit["items"]}
    assert {"device.provision", "device.bind", "device.unbind"} <= actions


async def test_status_lifecycle_transfer_and_commands(client, app):
    admin = await register_org(client, app)
    unit = await root_unit(admin)
    device = (await provision(admin, unit))["device"]
    path = f"/api/v1/devices/{device['id']}"
    cmd = await admin.post(f"{path}/commands", json={"kind": "lock", "params": {}})
    assert cmd["state"] == "queued"  # nobody online: waits
    # authorisations come from approved applications only
    r = await admin.call("POST", f"{path}/commands", json={"kind": "authorise", "params": {}})
    assert r.status_code == 422 and r.json()["code"] == "command.invalid"
    cancelled = await admin.post(f"{path}/commands/{cmd['id']}/cancel", expect=200)
    assert cancelled["state"] == "cancelled"
    r = await admin.call("POST", f"{path}/commands/{cmd['id']}/cancel")
    assert r.status_code == 409 and r.json()["code"] == "command.invalid_transition"
    retried = await admin.post(f"{path}/commands/{cmd['id']}/retry", expect=200)
    assert retried["state"] == "queued" and retried["id"] == cmd["id"]
    page = await admin.get(f"{path}/commands", params={"state": "queued"})
    assert [c["id"] for c in page["items"]] == [cmd["id"]]

    other_unit = await create_unit(admin, "分公司")
    moved = await admin.post(
        f"{path}/transfer", json={"unit_id": other_unit["id"], "reason": "调拨"}, expect=200
    )
    assert moved["unit_id"] == other_unit["id"]
    suspended = await admin.post(f"{path}/suspend", json={"reason": "检修"}, expect=200)
    assert suspended["status"] == "suspended"
    r = await admin.call("POST", f"{path}/commands", json={"kind": "reboot", "params": {}})
    assert r.status_code == 409 and r.json()["code"] == "device.inactive"
    await admin.post(f"{path}/resume", json={}, expect=200)
    done = await admin.post(f"{path}/decommission", json={"reason": "报废"}, expect=200)
    assert done["status"] == "decommissioned"
    r = await admin.call("POST", f"{path}/resume", json={})
    assert r.status_code == 409 and r.json()["code"] == "device.invalid_transition"


async def test_fingerprint_slots_are_bound_to_members(client, app):
    admin = await register_org(client, app)
    unit = await root_unit(admin)
    keeper = await add_member(admin, name="指纹人", roles=["keeper"])
    device = (await provision(admin, unit))["device"]
    path = f"/api/v1/devices/{device['id']}/fingerprints"
    fp = await admin.post(path, json={"slot": 7, "user_id": keeper.user_id})
    assert fp["slot"] == 7 and fp["command_id"]
    r = await admin.call("POST", path, json={"slot": 7, "user_id": admin.user_id})
    assert r.status_code == 422 and r.json()["code"] == "command.invalid"
    r = await admin.call("POST", path, json={"slot": 100, "user_id": admin.user_id})
    assert r.status_code == 422
    assert [f["slot"] for f in await admin.get(path)] == [7]
    cmd = await admin.delete(f"{path}/{fp['id']}", expect=200)
    assert cmd["kind"] == "fingerprint_delete"
    assert await admin.get(path) == []


async def test_keeper_reads_it_controls_employee_neither(client, app):
    admin = await register_org(client, app)
    unit = await root_unit(admin)
    device = (await provision(admin, unit))["device"]
    keeper = await add_member(admin, name="管章", roles=["keeper"])
    it = await add_member(admin, name="IT", roles=["it"])
    employee = await add_member(admin, name="员工", roles=["employee"])
    assert (await keeper.get(f"/api/v1/devices/{device['id']}"))["id"] == device["id"]
    r = await keeper.call("POST", f"/api/v1/devices/{device['id']}/suspend", json={})
    assert r.status_code == 403
    await it.post(f"/api/v1/devices/{device['id']}/suspend", json={}, expect=200)
    r = await employee.call("GET", "/api/v1/devices")
    assert r.status_code == 403
