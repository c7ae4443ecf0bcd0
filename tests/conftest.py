"""Fixtures: a migrated database per backend, the app on it, and an HTTP client."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI

from sealhub.app import create_app
from sealhub.platform import clock
from sealhub.platform.db import migrate
from sealhub.platform.settings import Settings
from tests.dbs import BACKENDS, ENV, scratch_database, server_url


def backend_params() -> list[object]:
    params: list[object] = []
    for backend in BACKENDS:
        marks = []
        if backend in ENV and not server_url(backend):
            marks.append(pytest.mark.skip(reason=f"{ENV[backend]} not set: no {backend} server"))
        params.append(pytest.param(backend, marks=marks, id=backend))
    return params


@pytest.fixture(scope="session", params=backend_params())
def db_url(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[str]:
    """A migrated, empty database on each backend; tests share it and isolate by tenant."""
    with scratch_database(request.param, tmp_path_factory.mktemp("db")) as url:
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
