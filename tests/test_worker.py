"""One worker, wired from the contexts list, the same in-process and as `sealhub worker`."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import uuid
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select

from sealhub import contexts, worker
from sealhub.app import build_runtime, create_app
from sealhub.platform import clock, idempotency, jobs
from sealhub.platform.db import migrate
from sealhub.platform.idempotency import IdempotentReply
from tests.conftest import make_settings

REDIS = os.environ.get("SEALHUB_TEST_REDIS_URL")


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    url = f"sqlite+aiosqlite:///{tmp_path / 'worker.sqlite'}"
    migrate.upgrade(url)
    return url


async def test_every_context_is_listed_once_and_exists():
    assert len(set(contexts.CONTEXTS)) == len(contexts.CONTEXTS)
    for pkg in contexts.packages():
        __import__(pkg)


async def test_a_handler_module_that_fails_to_import_stops_the_start(sqlite_url, tmp_path):
    runtime = build_runtime(make_settings(sqlite_url, tmp_path))
    try:
        with pytest.raises(ModuleNotFoundError, match="sealhub_no_such_module"):
            await worker.start(runtime, packages=("tests.platform.ctx_broken",))
    finally:
        await runtime.close()


async def test_jobs_and_periodic_tasks_are_found_by_convention(sqlite_url, tmp_path):
    runtime = build_runtime(make_settings(sqlite_url, tmp_path))
    try:
        running = await worker.start(
            runtime, packages=(*contexts.packages(), "tests.platform.ctx_plain")
        )
        await running.stop()
        assert {"platform.purge", "tests_plain.noop"} <= set(jobs.registered())
        names = {fn.__module__ for fn in jobs.periodic_tasks()}
        assert {"sealhub.platform.maintenance", "sealhub.requests.handlers"} <= names
        assert runtime.broker.find_task("tests_plain.noop") is not None
    finally:
        await runtime.close()


async def _old_replies(url: str, tmp_path: Path) -> int:
    runtime = build_runtime(make_settings(url, tmp_path))
    try:
        async with runtime.transaction() as session:
            count = await session.scalar(
                select(func.count())
                .select_from(IdempotentReply)
                .where(IdempotentReply.principal == "worker-test")
            )
        return int(count or 0)
    finally:
        await runtime.close()


@pytest.mark.skipif(not REDIS, reason="SEALHUB_TEST_REDIS_URL not set: no Redis jobs broker")
async def test_a_job_enqueued_by_the_api_runs_in_a_standalone_worker(sqlite_url, tmp_path):
    """The API process (no in-process worker) enqueues `platform.purge` on Redis; a
    `sealhub worker` process takes it and runs it."""
    assert REDIS
    prefix = f"sealhub-test-{uuid.uuid4().hex[:8]}:"
    env = {
        **os.environ,
        "SEALHUB_DATABASE_URL": sqlite_url,
        "SEALHUB_DATA_DIR": str(tmp_path),
        "SEALHUB_JOBS_URL": REDIS,
        "SEALHUB_CACHE_URL": "memory://",
        "SEALHUB_CACHE_PREFIX": prefix,
        "SEALHUB_LOG_JSON": "false",
        "SEALHUB_LOG_LEVEL": "INFO",
    }
    proc = subprocess.Popen(
        [sys.executable, "-m", "sealhub.cli.main", "worker"],
        env=env,
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    settings = make_settings(
        sqlite_url, tmp_path, jobs_url=REDIS, cache_prefix=prefix, run_worker=False
    )
    app = create_app(settings)
    try:
        async with app.router.lifespan_context(app):
            runtime = app.state.runtime
            clock.advance(timedelta(hours=-48))
            async with runtime.transaction() as session:
                await idempotency.remember(session, "worker-test", "k", "f", 201, {"a": 1})
            clock.reset()
            assert await _old_replies(sqlite_url, tmp_path) == 1
            await jobs.enqueue(runtime, "platform.purge")
            for _ in range(200):
                if await _old_replies(sqlite_url, tmp_path) == 0 or proc.poll() is not None:
                    break
                await asyncio.sleep(0.1)
        remaining = await _old_replies(sqlite_url, tmp_path)
        alive = proc.poll() is None
    finally:
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
        try:
            out, _ = proc.communicate(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            out, _ = proc.communicate()
    log = out.decode(errors="replace")
    assert alive, f"the worker died:\n{log}"
    assert remaining == 0, f"the purge never ran in the worker:\n{log}"
    assert proc.returncode == 0, f"the worker did not stop cleanly on SIGTERM:\n{log}"


async def test_enum_labels_come_from_every_context(client):
    labels = (await client.get("/api/v1/meta/enums")).json()
    assert {"member_status", "data_scope", "seal_status", "request_status"} <= labels.keys()
    assert labels["member_status"][0] == {
        "value": "active",
        "zh": "正常",
        "en": "Active",
        "color": "success",
    }


async def test_an_undeclared_event_is_kept_not_dropped(sqlite_url, tmp_path):
    """The relay delivers declared events (to their handlers or only the bus) and keeps a name
    no context declares undelivered, with the reason, instead of marking it delivered."""
    from sealhub.platform import events

    runtime = build_runtime(make_settings(sqlite_url, tmp_path))
    contexts.load_handlers_and_jobs()
    try:
        async with runtime.transaction() as session:
            events.write(session, "seal.no_such_event", {"n": 1}, org_id=None)
            events.write(session, "member.join_requested", {"n": 2}, org_id=None)
        await worker.relay_once(runtime)
        async with runtime.transaction() as session:
            rows = {
                e.name: e
                for e in (await session.execute(select(events.OutboxEvent))).scalars()
                if e.name in ("seal.no_such_event", "member.join_requested")
            }
        assert rows["member.join_requested"].delivered_at is not None
        lost = rows["seal.no_such_event"]
        assert lost.delivered_at is None
        assert lost.last_error == "undeclared event 'seal.no_such_event'"
    finally:
        await runtime.close()
