"""Jobs run on the in-memory broker and, through a real Redis, in a consumer."""

from __future__ import annotations

import asyncio
import os
import uuid
from datetime import timedelta

import pytest

from sealhub.app import build_runtime
from sealhub.platform import clock, idempotency, jobs
from sealhub.platform.db import migrate
from sealhub.platform.jobs import job
from sealhub.platform.runtime import make_broker
from tests.conftest import make_settings

_seen: list[str] = []


@job("tests.remember")
async def remember(runtime, value: str) -> str:  # type: ignore[no-untyped-def]
    _seen.append(value)
    return value


async def _wait_for(value: str) -> None:
    for _ in range(100):
        if value in _seen:
            return
        await asyncio.sleep(0.05)
    raise AssertionError(f"job with {value} never ran")


@pytest.fixture
def sqlite_url(tmp_path):
    url = f"sqlite+aiosqlite:///{tmp_path / 'jobs.sqlite'}"
    migrate.upgrade(url)
    return url


async def test_memory_broker_runs_job(sqlite_url, tmp_path):
    runtime = build_runtime(make_settings(sqlite_url, tmp_path))
    jobs.bind(runtime)
    await runtime.broker.startup()
    try:
        await jobs.enqueue(runtime, "tests.remember", value="mem")
        await _wait_for("mem")
        with pytest.raises(LookupError):
            await jobs.enqueue(runtime, "tests.nope")
    finally:
        await runtime.broker.shutdown()
        await runtime.close()


@pytest.mark.skipif(
    not os.environ.get("SEALHUB_TEST_REDIS_URL"), reason="SEALHUB_TEST_REDIS_URL not set"
)
async def test_redis_broker_delivers_to_consumer(sqlite_url, tmp_path):
    settings = make_settings(sqlite_url, tmp_path, jobs_url=os.environ["SEALHUB_TEST_REDIS_URL"])
    producer = build_runtime(settings)
    consumer_rt = build_runtime(settings)
    queue = f"sealhub-test-{uuid.uuid4().hex[:8]}"
    producer.broker = make_broker(settings.jobs_url, queue)
    consumer_rt.broker = make_broker(settings.jobs_url, queue)
    for rt in (producer, consumer_rt):
        jobs.bind(rt)
        await rt.broker.startup()
    consumer = jobs.start_consumer(consumer_rt.broker)
    assert consumer is not None
    try:
        await asyncio.sleep(0.5)
        value = uuid.uuid4().hex
        await jobs.enqueue(producer, "tests.remember", value=value)
        await _wait_for(value)
    finally:
        await jobs.stop_consumer(consumer)
        for rt in (producer, consumer_rt):
            await rt.broker.shutdown()
            await rt.close()


async def test_purge_forgets_old_replies(db_url, tmp_path):
    runtime = build_runtime(make_settings(db_url, tmp_path))
    try:
        async with runtime.transaction() as s:
            await idempotency.remember(s, "p", f"k-{uuid.uuid4()}", "f", 201, {"a": 1})
        from sealhub.platform.maintenance import purge

        await purge(runtime)  # clears older rows of other tests
        assert await purge(runtime) == 0
        clock.advance(timedelta(hours=25))
        assert await purge(runtime) >= 1
    finally:
        await runtime.close()
