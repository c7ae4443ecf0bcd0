"""Sign-in under attack: no stall, every failure counted, delays instead of locks, no oracle.

The parallel tests matter most on PostgreSQL (SEALHUB_TEST_PG_URL), where a pool of
connections can run dry; they run on every configured backend.
"""

from __future__ import annotations

import asyncio
import os
import time
from collections.abc import AsyncIterator
from datetime import timedelta
from itertools import count

import httpx
import pyotp
import pytest
from fastapi import FastAPI

from sealhub.app import create_app
from sealhub.identity import service as identity
from sealhub.platform import clock
from tests.builders import PASSWORD, Api, login, next_phone, register_org, sms_code
from tests.conftest import make_settings

_ips = count(1)


@pytest.fixture
async def other_ip(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    """A client from its own address, so per-source limits of other tests do not mix in."""
    transport = httpx.ASGITransport(app=app, client=(f"198.51.100.{next(_ips) % 250}", 40000))
    async with httpx.AsyncClient(transport=transport, base_url="http://sealhub.test") as c:
        yield c


async def _wrong(
    client: httpx.AsyncClient, phone: str, password: str = "wrong-pass1"
) -> httpx.Response:
    return await client.post("/api/v1/auth/login", json={"phone": phone, "password": password})


@pytest.fixture
async def real_cost_app(db_url: str, tmp_path) -> AsyncIterator[FastAPI]:
    """The app with production Argon2 cost (64 MiB, 3 passes): a storm costs what it would."""
    application = create_app(
        make_settings(db_url, tmp_path, argon2_time_cost=3, argon2_memory_kib=65536)
    )
    try:
        async with application.router.lifespan_context(application):
            yield application
    finally:
        # hashing is configured per process: give the other tests their cheap cost back
        identity.configure_hashing(1, 1024, 2)


async def test_parallel_wrong_passwords_never_stall_the_pool(real_cost_app):
    transport = httpx.ASGITransport(app=real_cost_app, client=("192.0.2.7", 4000))
    async with httpx.AsyncClient(transport=transport, base_url="http://sealhub.test") as c:
        victim = await register_org(c, real_cost_app)
        bystander = await register_org(c, real_cost_app)

        async def timed_read() -> float:
            await asyncio.sleep(0.05)  # while the storm is in flight
            start = time.perf_counter()
            await bystander.get("/api/v1/auth/me")
            return time.perf_counter() - start

        start = time.perf_counter()
        results = await asyncio.gather(*(_wrong(c, victim.phone) for _ in range(16)), timed_read())
        elapsed = time.perf_counter() - start
    statuses = sorted(r.status_code for r in results[:-1])  # type: ignore[union-attr]
    figures = f"storm {elapsed:.2f} s, read {results[-1]:.2f} s, {statuses}"
    assert set(statuses) <= {401, 429}, figures
    assert results[-1] < 0.5, figures
    assert elapsed < 10, figures


@pytest.mark.skipif(
    not os.environ.get("SEALHUB_TEST_REDIS_URL"), reason="SEALHUB_TEST_REDIS_URL not set"
)
async def test_a_burst_is_counted_atomically_in_redis(db_url, tmp_path):
    """Several API processes share the counts through Redis: INCR and SET NX keep them exact."""
    settings = make_settings(
        db_url,
        tmp_path,
        cache_url=os.environ["SEALHUB_TEST_REDIS_URL"],
        login_throttle_hold_seconds=0,
    )
    application = create_app(settings)
    async with application.router.lifespan_context(application):
        transport = httpx.ASGITransport(app=application, client=("192.0.2.9", 4000))
        async with httpx.AsyncClient(transport=transport, base_url="http://sealhub.test") as c:
            owner = await register_org(c, application)
            results = await asyncio.gather(*(_wrong(c, owner.phone) for _ in range(20)))
            statuses = [r.status_code for r in results]
            assert statuses.count(401) == 6 and statuses.count(429) == 14, statuses
            runtime = application.state.runtime
            assert await identity.sign_in_failures(runtime, owner.phone) == 6


async def test_parallel_failures_are_all_counted(client, app, other_ip):
    owner = await register_org(client, app)
    settings = app.state.runtime.settings
    free = settings.login_max_failures
    settings.login_max_failures = 9  # ten parallel guesses all get checked
    try:
        results = await asyncio.gather(*(_wrong(other_ip, owner.phone) for _ in range(10)))
        assert [r.status_code for r in results] == [401] * 10
        # ten failures are ten, not one: the right password now waits like any guess
        r = await _wrong(other_ip, owner.phone, PASSWORD)
        assert r.status_code == 429 and r.json()["code"] == "common.rate_limited"
        assert int(r.headers["retry-after"]) >= 1
        assert await identity.sign_in_failures(app.state.runtime, owner.phone) == 10
    finally:
        settings.login_max_failures = free


async def test_a_burst_gets_no_more_guesses_than_the_limit(client, app, other_ip):
    owner = await register_org(client, app)
    results = await asyncio.gather(*(_wrong(other_ip, owner.phone) for _ in range(20)))
    statuses = [r.status_code for r in results]
    # five free attempts and one that starts the first wait; the rest never reach Argon2
    assert statuses.count(401) == 6 and statuses.count(429) == 14, statuses
    assert await identity.sign_in_failures(app.state.runtime, owner.phone) == 6


async def test_delays_grow_then_pass_no_hard_lock(client, app, other_ip):
    owner = await register_org(client, app)
    clock.freeze(clock.now())
    for _ in range(5):  # the free attempts
        assert (await _wrong(other_ip, owner.phone)).status_code == 401
    assert (await _wrong(other_ip, owner.phone)).status_code == 401  # starts a 1 s wait
    r = await _wrong(other_ip, owner.phone, PASSWORD)
    assert r.status_code == 429 and r.headers["retry-after"] == "1"
    clock.advance(timedelta(seconds=1.5))
    assert (await _wrong(other_ip, owner.phone)).status_code == 401  # now waits 2 s
    r = await _wrong(other_ip, owner.phone, PASSWORD)
    assert r.status_code == 429 and r.headers["retry-after"] == "2"
    clock.advance(timedelta(seconds=2.5))
    # the owner's password works once the short wait is over, and clears the count
    await login(other_ip, owner.phone)
    assert await identity.sign_in_failures(app.state.runtime, owner.phone) == 0


async def test_known_and_unknown_phones_answer_alike(client, app, other_ip):
    known = await register_org(client, app)
    unknown = next_phone()
    clock.freeze(clock.now())
    for attempt in range(8):
        a = await _wrong(other_ip, known.phone)
        b = await _wrong(other_ip, unknown)
        assert a.status_code == b.status_code, attempt
        assert a.headers.get("retry-after") == b.headers.get("retry-after"), attempt
        body_a, body_b = a.json(), b.json()
        for key in ("code", "title", "status"):
            assert body_a[key] == body_b[key], (attempt, key)
    assert a.status_code == 429  # both throttled alike, so throttling tells nothing


async def test_totp_guesses_are_throttled(client, app, other_ip):
    owner = await register_org(client, app)
    setup = await owner.post("/api/v1/auth/totp/setup", expect=200)
    totp = pyotp.TOTP(setup["secret"])
    await owner.post("/api/v1/auth/totp/enable", json={"code": totp.now()}, expect=204)
    right = totp.at(clock.now())
    wrong = "000000" if right != "000000" else "111111"
    statuses = []
    for _ in range(8):
        r = await other_ip.post(
            "/api/v1/auth/login",
            json={"phone": owner.phone, "password": PASSWORD, "totp_code": wrong},
        )
        statuses.append(r.status_code)
    assert statuses[:5] == [401] * 5
    assert 429 in statuses, statuses


async def test_sms_sign_in_stays_open_to_the_owner(client, app, other_ip):
    owner = await register_org(client, app)
    for _ in range(12):  # someone else hammers the password
        await _wrong(other_ip, owner.phone)
    assert (await _wrong(client, owner.phone, PASSWORD)).status_code == 429
    r = await client.post("/api/v1/auth/sms-codes", json={"phone": owner.phone, "purpose": "login"})
    assert r.status_code == 202
    r = await client.post(
        "/api/v1/auth/login/sms", json={"phone": owner.phone, "code": sms_code(app, owner.phone)}
    )
    assert r.status_code == 200, r.text
    me = await Api(client, r.json()["token"]).get("/api/v1/auth/me")
    assert me["user"]["phone"] == owner.phone


async def test_sms_sign_in_unknown_phone_answers_like_a_wrong_code(client, app, other_ip):
    owner = await register_org(client, app)
    stranger = next_phone()
    for phone in (owner.phone, stranger):
        r = await other_ip.post("/api/v1/auth/sms-codes", json={"phone": phone, "purpose": "login"})
        assert r.status_code == 202
    known = await other_ip.post(
        "/api/v1/auth/login/sms", json={"phone": owner.phone, "code": "00000"}
    )
    unknown = await other_ip.post(
        "/api/v1/auth/login/sms", json={"phone": stranger, "code": sms_code(app, stranger)}
    )
    assert known.status_code == unknown.status_code == 400
    assert known.json()["code"] == unknown.json()["code"] == "auth.invalid_sms_code"


async def test_source_with_many_failures_is_delayed(client, app, other_ip):
    runtime = app.state.runtime
    limit = runtime.settings.login_ip_max_failures
    runtime.settings.login_ip_max_failures = 3
    try:
        for _ in range(3):  # three different accounts: only the source links them
            assert (await _wrong(other_ip, next_phone())).status_code == 401
        assert (await _wrong(other_ip, next_phone())).status_code == 401
        r = await _wrong(other_ip, next_phone())
        assert r.status_code == 429 and "retry-after" in r.headers
    finally:
        runtime.settings.login_ip_max_failures = limit


async def test_hashing_never_waits_for_other_thread_work(client, app, other_ip):
    owner = await register_org(client, app)
    loop = asyncio.get_running_loop()
    # fill the default thread pool (file parsing, storage...) twice over with slow work
    threads = min(32, (os.cpu_count() or 1) + 4)
    busy = [loop.run_in_executor(None, time.sleep, 1.0) for _ in range(2 * threads)]
    await asyncio.sleep(0.05)
    start = time.perf_counter()
    await login(other_ip, owner.phone)
    took = time.perf_counter() - start
    await asyncio.gather(*busy)
    assert took < 0.8, f"sign-in waited {took:.1f} s behind unrelated thread work"


async def test_refused_attempts_answer_late_to_slow_scripts(client, app, other_ip):
    owner = await register_org(client, app)
    settings = app.state.runtime.settings
    settings.login_throttle_hold_seconds = 0.3
    try:
        for _ in range(6):
            await _wrong(other_ip, owner.phone)
        start = time.perf_counter()
        r = await _wrong(other_ip, owner.phone)
        assert r.status_code == 429
        assert time.perf_counter() - start >= 0.15  # held 0.5-1x the setting
    finally:
        settings.login_throttle_hold_seconds = 0
