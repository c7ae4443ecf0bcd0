"""Two server processes on one PostgreSQL and one Redis behave as one."""

from __future__ import annotations

import os
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from sealhub.platform.db import migrate
from tests.builders import PASSWORD, next_phone
from tests.dbs import scratch_database
from tests.support.server import last_sms_code, running_servers, server_env

PG = os.environ.get("SEALHUB_TEST_PG_URL")
REDIS = os.environ.get("SEALHUB_TEST_REDIS_URL")
pytestmark = pytest.mark.skipif(
    not (PG and REDIS), reason="needs SEALHUB_TEST_PG_URL and SEALHUB_TEST_REDIS_URL"
)


@pytest.fixture(scope="module")
def cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, str, Path]]:
    tmp = tmp_path_factory.mktemp("cluster")
    with scratch_database("postgresql", tmp) as url:
        migrate.upgrade(url)
        env = server_env(
            url,
            tmp,
            SEALHUB_CACHE_URL=REDIS or "",
            SEALHUB_CACHE_PREFIX=f"t{uuid.uuid4().hex[:8]}:",
            SEALHUB_SMS_PER_PHONE_PER_HOUR="3",
        )
        with running_servers(env, 2) as urls:
            yield urls[0], urls[1], tmp


def _register(a: str, b: str, data_dir: Path, phone: str, **extra: object) -> httpx.Response:
    r = httpx.post(f"{a}/api/v1/auth/sms-codes", json={"phone": phone, "purpose": "register"})
    assert r.status_code == 202, r.text
    body = {
        "phone": phone,
        "code": last_sms_code(data_dir, phone),
        "password": PASSWORD,
        "real_name": "集群",
        **extra,
    }
    return httpx.post(f"{b}/api/v1/auth/register", json=body)


def test_one_time_code_and_session_span_processes(cluster):
    a, b, data_dir = cluster
    phone = next_phone()
    r = _register(a, b, data_dir, phone, create_org={"name": "集群公司"})
    assert r.status_code == 201, r.text
    # the same code, now on the other process: already consumed
    again = {
        "phone": phone,
        "code": last_sms_code(data_dir, phone),
        "password": PASSWORD,
        "real_name": "x",
        "create_org": {"name": "重复"},
    }
    assert httpx.post(f"{a}/api/v1/auth/register", json=again).status_code == 400

    token = httpx.post(
        f"{a}/api/v1/auth/login", json={"phone": phone, "password": PASSWORD}
    ).json()["token"]
    auth = {"Authorization": f"Bearer {token}"}
    assert httpx.get(f"{b}/api/v1/auth/me", headers=auth).status_code == 200
    assert httpx.get(f"{a}/api/v1/auth/me", headers=auth).status_code == 200
    assert httpx.post(f"{b}/api/v1/auth/logout", headers=auth).status_code == 204
    assert httpx.get(f"{a}/api/v1/auth/me", headers=auth).status_code == 401


def test_rate_limits_count_across_processes(cluster):
    a, b, _ = cluster
    phone = next_phone()
    statuses = [
        httpx.post(
            f"{url}/api/v1/auth/sms-codes", json={"phone": phone, "purpose": "register"}
        ).status_code
        for url in (a, b, a, b)
    ]
    assert statuses == [202, 202, 202, 429]


def test_event_from_one_process_reaches_listener_on_other(cluster):
    a, b, data_dir = cluster
    admin_phone = next_phone()
    r = _register(a, a, data_dir, admin_phone, create_org={"name": "事件公司"})
    org_code = r.json()["organization"]["code"]
    token = r.json()["token"]
    received: list[str] = []
    with (
        httpx.Client(timeout=httpx.Timeout(20.0)) as listener,
        listener.stream(
            "GET", f"{b}/api/v1/events", headers={"Authorization": f"Bearer {token}"}
        ) as stream,
    ):
        lines = stream.iter_lines()
        assert next(lines).startswith(": connected")
        joined = _register(a, a, data_dir, next_phone(), org_code=org_code)
        assert joined.status_code == 201 and joined.json()["status"] == "pending"
        deadline = time.monotonic() + 15
        for line in lines:
            if line.startswith("event: "):
                received.append(line[7:])
                break
            if time.monotonic() > deadline:
                break
    assert received == ["member.join_requested"]
