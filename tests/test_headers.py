"""Security headers on every reply, bounded request ids, X-Forwarded-For only from trusted
proxies, Secure cookies and HSTS behind https (issue 8, defects 9 and 10)."""

from __future__ import annotations

import logging
import os
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from sealhub.app import create_app
from sealhub.platform.db import migrate
from tests.builders import PASSWORD, login, next_phone, register_org
from tests.conftest import make_settings
from tests.dbs import scratch_database
from tests.support.server import free_port, server_env, wait_ready


def _csp(r: httpx.Response) -> dict[str, str]:
    policy = r.headers.get("content-security-policy", "")
    parts = (p.strip().split(" ", 1) for p in policy.split(";") if p.strip())
    return {p[0]: (p[1] if len(p) > 1 else "") for p in parts}


def _assert_common(r: httpx.Response) -> None:
    assert r.headers.get("x-content-type-options") == "nosniff", (r.url, r.headers)
    assert r.headers.get("referrer-policy") == "no-referrer"
    assert _csp(r).get("frame-ancestors") == "'none'", r.headers


async def test_every_reply_carries_security_headers(client, app):
    admin = await register_org(client, app)
    replies = [
        await client.get("/"),  # the console (or its placeholder)
        await client.get("/healthz"),
        await client.get("/openapi.json"),
        await client.get("/api/v1/auth/me"),  # 401 problem
        await client.post("/api/v1/auth/login", content=b"{not json"),  # 400 problem
        await admin.call("GET", "/api/v1/seals"),
        await admin.call("GET", "/api/v1/nope"),  # 404
    ]
    for r in replies:
        _assert_common(r)
    console = _csp(replies[0])
    assert "'unsafe-eval'" not in console["script-src"]
    assert console["object-src"] == "'none'"
    # no HSTS on a plain-http deployment (it would pin a name that has no TLS)
    assert "strict-transport-security" not in replies[0].headers


async def test_authenticated_api_replies_are_not_stored(client, app):
    admin = await register_org(client, app)
    for url in ("/api/v1/auth/me", "/api/v1/seals", "/api/v1/org", "/api/v1/members"):
        r = await admin.call("GET", url, expect=200)
        assert r.headers.get("cache-control") == "no-store", (url, r.headers)
    r = await client.post("/api/v1/auth/login", json={"phone": admin.phone, "password": PASSWORD})
    assert r.headers.get("cache-control") == "no-store"  # the token is in this body


async def test_request_id_is_bounded_before_logs(client, app, caplog):
    caplog.set_level(logging.INFO, logger="sealhub.access")
    plain = "abc-123.DEF_4:5"
    r = await client.get("/healthz", headers={"X-Request-ID": plain})
    assert r.headers["x-request-id"] == plain
    for hostile in ("a" * 5000, "x\x1b[2Jy", "id with spaces", "<script>"):
        caplog.clear()
        r = await client.get("/healthz", headers={"X-Request-ID": hostile})
        echoed = r.headers["x-request-id"]
        assert echoed != hostile and len(echoed) <= 64 and echoed.isascii()
        logged = [getattr(rec, "request_id", None) for rec in caplog.records]
        assert logged and hostile not in logged and all(len(x or "") <= 64 for x in logged)


async def test_method_not_allowed_says_what_is(client, app):
    admin = await register_org(client, app)
    r = await admin.call("DELETE", "/api/v1/seals")
    assert r.status_code == 405 and r.json()["code"] == "http.method_not_allowed"
    assert {m.strip() for m in r.headers["allow"].split(",")} >= {"GET", "POST"}
    r = await admin.call("PUT", "/api/v1/auth/login", json={})
    assert r.status_code == 405 and "POST" in r.headers["allow"]
    # a GET, which the console's catch-all route would otherwise answer with 404
    r = await admin.call("GET", "/api/v1/auth/login")
    assert r.status_code == 405 and r.headers["allow"] == "POST", r.headers
    assert r.headers["content-type"].startswith("application/problem+json")
    assert (await admin.call("GET", "/api/v1/no-such-thing")).status_code == 404


async def test_https_public_url_gives_hsts_and_secure_cookies(db_url, tmp_path):
    secure = create_app(make_settings(db_url, tmp_path, public_url="https://seal.example.com"))
    async with secure.router.lifespan_context(secure):
        transport = httpx.ASGITransport(app=secure, client=("198.51.100.8", 1))
        async with httpx.AsyncClient(transport=transport, base_url="https://t") as client:
            admin = await register_org(client, secure)
            r = await client.post(
                "/api/v1/auth/login", json={"phone": admin.phone, "password": PASSWORD}
            )
            assert r.status_code == 200
            cookies = r.headers.get_list("set-cookie")
            assert cookies and all("secure" in c.lower() for c in cookies), cookies
            assert r.headers["strict-transport-security"].startswith("max-age=")


async def _audit_ips(admin) -> list[str]:
    page = await admin.get("/api/v1/audit", params={"page_size": 50})
    return [e["ip"] for e in page["items"]]


async def test_forwarded_for_is_believed_only_from_trusted_proxies(db_url, tmp_path):
    app = create_app(
        make_settings(db_url, tmp_path, trusted_proxies="10.0.0.0/8", login_per_ip_per_minute=3)
    )
    async with app.router.lifespan_context(app):
        # through the trusted proxy: the nearest untrusted hop is the client
        via_proxy = httpx.ASGITransport(app=app, client=("10.1.2.3", 1))
        async with httpx.AsyncClient(transport=via_proxy, base_url="http://t") as client:
            admin = await register_org(client, app)
            xff = {"X-Forwarded-For": "6.6.6.6, 198.51.100.20, 10.9.9.9"}
            await admin.post("/api/v1/org/units", json={"name": "经代理"}, headers=xff)
            assert (await _audit_ips(admin))[0] == "198.51.100.20"
        # straight from an untrusted peer: its header is ignored
        direct = httpx.ASGITransport(app=app, client=("203.0.113.50", 1))
        async with httpx.AsyncClient(transport=direct, base_url="http://t") as client:
            admin = await login(client, admin.phone)
            xff = {"X-Forwarded-For": "198.51.100.99"}
            await admin.post("/api/v1/org/units", json={"name": "直连"}, headers=xff)
            assert (await _audit_ips(admin))[0] == "203.0.113.50"


def _serve(env: dict[str, str], data_dir: Path) -> tuple[subprocess.Popen[bytes], str]:
    port = free_port()
    code = "from sealhub.cli.main import app; app()"
    cmd = [sys.executable, "-c", code, "serve", "--host", "127.0.0.1", "--port", str(port)]
    log = data_dir / "serve.log"
    with log.open("wb") as out:
        proc = subprocess.Popen(cmd, env=env, stdout=out, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    wait_ready(url, proc, log)
    return proc, url


@pytest.mark.slow
def test_sealhub_serve_ignores_forwarded_for_from_loopback(tmp_path):
    """`sealhub serve` with no trusted proxy: a client on loopback cannot dodge the per-IP
    sign-in limit by making up X-Forwarded-For (uvicorn believed 127.0.0.1 by default)."""
    with scratch_database("sqlite", tmp_path) as url:
        migrate.upgrade(url)
        env = server_env(url, tmp_path, SEALHUB_LOGIN_PER_IP_PER_MINUTE="3")
        env.pop("FORWARDED_ALLOW_IPS", None)
        proc, base = _serve(env, tmp_path)
        try:
            statuses = []
            for n in range(6):
                r = httpx.post(
                    f"{base}/api/v1/auth/login",
                    json={"phone": next_phone(), "password": "wrong-password"},
                    headers={"X-Forwarded-For": f"198.51.100.{n + 1}"},
                )
                statuses.append(r.status_code)
            assert 429 in statuses, statuses
        finally:
            proc.terminate()
            proc.wait(10)
    assert os.environ.get("SEALHUB_TRUSTED_PROXIES", "") == ""
