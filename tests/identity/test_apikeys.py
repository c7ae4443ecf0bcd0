"""API keys: shown once, bearer with only their permissions, revocation, creator's limits."""

from __future__ import annotations

from datetime import timedelta

from sealhub.platform import clock
from tests.builders import Api, add_member, register_org


async def test_api_key_lifecycle(client, app):
    admin = await register_org(client, app)
    created = await admin.post(
        "/api/v1/api-keys", json={"name": "OA 集成", "permissions": ["member.read", "org.read"]}
    )
    secret = created["secret"]
    assert secret.startswith("shk_") and created["prefix"] == secret[:12]
    assert created["created_by"]["id"] == admin.user_id
    listed = await admin.get("/api/v1/api-keys")
    assert listed["total"] == 1
    assert "secret" not in listed["items"][0] and listed["items"][0]["last_used_at"] is None

    key = Api(client, secret)
    assert (await key.get("/api/v1/members"))["total"] == 1
    await key.get("/api/v1/org/units")
    # only its permissions
    assert (await key.call("GET", "/api/v1/roles")).status_code == 403
    r = await key.call("POST", "/api/v1/org/units", json={"name": "x"})
    assert r.status_code == 403
    listed = await admin.get("/api/v1/api-keys")
    assert listed["items"][0]["last_used_at"] is not None

    # other tenants cannot revoke it
    other = await register_org(client, app)
    await other.delete(f"/api/v1/api-keys/{created['id']}", expect=404)
    await admin.delete(f"/api/v1/api-keys/{created['id']}")
    assert (await key.call("GET", "/api/v1/members")).status_code == 401
    listed = await admin.get("/api/v1/api-keys")
    assert listed["items"][0]["revoked_at"] is not None
    await admin.delete(f"/api/v1/api-keys/{created['id']}")  # twice is fine


async def test_api_key_limits(client, app):
    admin = await register_org(client, app)
    it = await add_member(admin, name="IT", roles=["it"])
    r = await it.call(
        "POST", "/api/v1/api-keys", json={"name": "越权", "permissions": ["member.manage"]}
    )
    assert r.status_code == 403 and r.json()["code"] == "apikey.permission_not_held"
    r = await it.call("POST", "/api/v1/api-keys", json={"name": "未知", "permissions": ["x.y"]})
    assert r.status_code == 422 and r.json()["code"] == "role.unknown_permission"
    past = (clock.now() - timedelta(days=1)).isoformat()
    r = await it.call(
        "POST",
        "/api/v1/api-keys",
        json={"name": "过期", "permissions": ["device.read"], "expires_at": past},
    )
    assert r.status_code == 422 and r.json()["code"] == "apikey.expiry_in_past"
    soon = (clock.now() + timedelta(hours=1)).isoformat()
    created = await it.post(
        "/api/v1/api-keys",
        json={"name": "设备", "permissions": ["device.read", "member.read"], "expires_at": soon},
    )
    key = Api(client, created["secret"])
    assert (await key.call("GET", "/api/v1/members")).status_code == 200
    clock.advance(timedelta(hours=2))
    assert (await key.call("GET", "/api/v1/members")).status_code == 401
    employee = await add_member(admin, name="员工", roles=["employee"])
    assert (await employee.call("GET", "/api/v1/api-keys")).status_code == 403
