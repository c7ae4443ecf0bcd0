"""Registration, SMS codes, sign-in, lockout, sessions, CSRF."""

from __future__ import annotations

import pyotp

from sealhub.platform import clock
from tests.builders import PASSWORD, login, next_phone, register_org, sms_code


async def test_register_creates_org_with_builtin_roles(client, app):
    admin = await register_org(client, app, org_name="甲公司")
    me = await admin.get("/api/v1/auth/me")
    assert me["organization"]["name"] == "甲公司"
    assert "org.manage" in me["permissions"]
    assert me["data_scope"] == "org"
    assert me["memberships"][0]["status"] == "active"


async def test_sms_code_single_use_and_wrong_code(client, app):
    phone = next_phone()
    r = await client.post("/api/v1/auth/sms-codes", json={"phone": phone, "purpose": "register"})
    assert r.status_code == 202
    code = sms_code(app, phone)
    body = {
        "phone": phone,
        "code": "000000" if code != "000000" else "111111",
        "password": PASSWORD,
        "real_name": "李",
        "create_org": {"name": "乙公司"},
    }
    r = await client.post("/api/v1/auth/register", json=body)
    assert r.status_code == 400 and r.json()["code"] == "auth.invalid_sms_code"
    body["code"] = code
    assert (await client.post("/api/v1/auth/register", json=body)).status_code == 201
    # the same code again: consumed
    body["phone"] = phone
    r = await client.post("/api/v1/auth/register", json=body)
    assert r.status_code == 400


async def test_bad_phone_is_problem(client):
    r = await client.post("/api/v1/auth/sms-codes", json={"phone": "12345", "purpose": "register"})
    assert r.status_code == 422
    assert r.headers["content-type"].startswith("application/problem+json")
    assert r.json()["code"] == "auth.invalid_phone"
    assert r.json()["title"] == "手机号码格式不正确"
    r = await client.post(
        "/api/v1/auth/sms-codes",
        json={"phone": "12345", "purpose": "register"},
        headers={"Accept-Language": "en"},
    )
    assert r.json()["title"] == "Not a valid mobile phone number"


async def test_repeated_failures_delay_the_account(client, app):
    admin = await register_org(client, app)
    for _ in range(6):  # five free attempts, the sixth starts a short wait
        r = await client.post(
            "/api/v1/auth/login", json={"phone": admin.phone, "password": "wrong-pass1"}
        )
        assert r.status_code == 401
    r = await client.post("/api/v1/auth/login", json={"phone": admin.phone, "password": PASSWORD})
    assert r.status_code == 429 and r.json()["code"] == "common.rate_limited"
    assert r.headers["retry-after"] == "1"


async def test_logout_revokes_token(client, app):
    admin = await register_org(client, app)
    await admin.call("POST", "/api/v1/auth/logout", expect=204)
    r = await client.get("/api/v1/auth/me", headers=admin.headers)
    assert r.status_code == 401


async def test_cookie_session_requires_csrf(client, app):
    admin = await register_org(client, app)
    r = await client.post("/api/v1/auth/login", json={"phone": admin.phone, "password": PASSWORD})
    csrf = r.json()["csrf_token"]
    assert client.cookies.get("sealhub_session")
    assert (await client.get("/api/v1/auth/me")).status_code == 200
    r = await client.post("/api/v1/auth/totp/setup")
    assert r.status_code == 403 and r.json()["code"] == "auth.csrf"
    r = await client.post("/api/v1/auth/totp/setup", headers={"X-CSRF-Token": csrf})
    assert r.status_code == 200
    client.cookies.clear()


async def test_totp_second_factor(client, app):
    admin = await register_org(client, app)
    setup = await admin.post("/api/v1/auth/totp/setup", expect=200)
    totp = pyotp.TOTP(setup["secret"])
    await admin.post("/api/v1/auth/totp/enable", json={"code": totp.now()}, expect=204)
    r = await client.post("/api/v1/auth/login", json={"phone": admin.phone, "password": PASSWORD})
    assert r.status_code == 401 and r.json()["code"] == "auth.totp_required"
    r = await client.post(
        "/api/v1/auth/login",
        json={"phone": admin.phone, "password": PASSWORD, "totp_code": totp.at(clock.now())},
    )
    assert r.status_code == 200


async def test_password_reset_by_sms(client, app):
    admin = await register_org(client, app)
    r = await client.post("/api/v1/auth/sms-codes", json={"phone": admin.phone, "purpose": "reset"})
    assert r.status_code == 202
    r = await client.post(
        "/api/v1/auth/password-reset",
        json={
            "phone": admin.phone,
            "code": sms_code(app, admin.phone),
            "new_password": "N3wPassword",
        },
    )
    assert r.status_code == 204
    assert (await client.get("/api/v1/auth/me", headers=admin.headers)).status_code == 401
    await login(client, admin.phone, "N3wPassword")


async def test_malformed_json_and_unknown_fields(client):
    r = await client.post(
        "/api/v1/auth/login", content=b"{nope", headers={"content-type": "application/json"}
    )
    assert r.status_code == 400 and r.json()["code"] == "http.malformed_json"
    r = await client.post("/api/v1/auth/login", json={"phone": "x", "password": "y", "admin": True})
    assert r.status_code == 422 and r.json()["code"] == "common.validation"
    r = await client.post("/api/v1/auth/login", json={"phone": 5, "password": ["y"]})
    assert r.status_code == 422


async def test_health_and_request_id(client):
    assert (await client.get("/healthz")).json()["status"] == "ok"
    ready = await client.get("/readyz")
    assert ready.status_code == 200 and ready.json()["checks"] == {"database": "ok", "cache": "ok"}
    r = await client.get("/api/v1/meta/version", headers={"X-Request-ID": "trace-123"})
    assert r.headers["x-request-id"] == "trace-123"
    assert (await client.get("/api/v1/nope")).json()["code"] == "http.not_found"


async def test_console_assets_are_compressed_and_cached(client):
    from sealhub.app import STATIC

    assets = sorted((STATIC / "assets").glob("index-*.js")) if (STATIC / "assets").exists() else []
    if not assets:
        import pytest

        pytest.skip("console not built (make web)")
    r = await client.get(f"/assets/{assets[0].name}", headers={"Accept-Encoding": "gzip"})
    assert r.status_code == 200 and r.headers["content-encoding"] == "gzip"
    assert "immutable" in r.headers["cache-control"]
    index = await client.get("/requests/mine")  # a console route falls back to index.html
    assert index.status_code == 200 and '<div id="app"' in index.text
    assert index.headers["cache-control"] == "no-cache"
