"""Benchmark fixtures: a scratch PostgreSQL database, seeded through the API in-process.

One organisation with an admin, a seal keeper and an employee (the applicant), one seal
kept by the keeper, a flow with a single `seal_keeper` step and a few PDFs uploaded by the
employee. Also traces the SQL of one GET /org and one POST /requests (statement counts and
the exact INSERTs the bare handler replicates).
"""

from __future__ import annotations

import asyncio
import contextvars
import time
import uuid
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

import asyncpg
import httpx
from sqlalchemy import event
from sqlalchemy.engine import make_url

from sealhub.app import create_app
from sealhub.cli.demo import ApiClient, demo_pdf, login
from sealhub.identity import service as identity
from sealhub.platform import clock
from sealhub.platform.db import migrate
from sealhub.platform.runtime import Runtime
from sealhub.platform.settings import Settings
from sealhub.worker import relay_once

PASSWORD = "Bench2026x"
ADMIN_PHONE = "13900000001"
KEEPER_PHONE = "13900000002"
EMPLOYEE_PHONE = "13900000003"
DOCUMENTS = 4


def asyncpg_dsn(url: str) -> str:
    """postgresql+asyncpg://... -> postgresql://... (what asyncpg itself accepts)."""
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


async def _admin_exec(base_url: str, sql: str) -> None:
    conn = await asyncpg.connect(asyncpg_dsn(base_url))
    try:
        await conn.execute(sql)
    finally:
        await conn.close()


@contextmanager
def scratch_database(base_url: str) -> Iterator[str]:
    """An empty database next to `base_url`'s (async URL); dropped afterwards."""
    name = f"sealhub_bench_{uuid.uuid4().hex[:10]}"
    asyncio.run(_admin_exec(base_url, f"CREATE DATABASE {name}"))
    try:
        yield make_url(base_url).set(database=name).render_as_string(hide_password=False)
    finally:
        asyncio.run(
            _admin_exec(
                base_url,
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                f"WHERE datname = '{name}' AND pid <> pg_backend_pid()",
            )
        )
        asyncio.run(_admin_exec(base_url, f"DROP DATABASE IF EXISTS {name}"))


@dataclass
class Seeded:
    org_id: str
    token: str  # the employee's session token (bearer)
    seal_id: str
    document_ids: list[str]
    # SQL of one traced request per scenario: [(statement, parameters)]
    trace: dict[str, list[tuple[str, Any]]] = field(default_factory=dict)
    # in-process wall time of the traced requests, ms
    inproc_ms: dict[str, float] = field(default_factory=dict)
    # what the bare handler would look up: org, applicant, unit, seal, keeper, flow
    facts: dict[str, Any] = field(default_factory=dict)


def create_body(seeded: Seeded, n: int) -> dict[str, Any]:
    """A valid create-and-submit body (the n-th: rotates through the documents)."""
    now = clock.now()
    return {
        "name": f"压测申请 {n}",
        "reason": "benchmark",
        "urgency": "normal",
        "valid_from": now.isoformat(),
        "valid_until": (now + timedelta(days=30)).isoformat(),
        "document_ids": [seeded.document_ids[n % len(seeded.document_ids)]],
        "items": [{"seal_id": seeded.seal_id, "presses": 1}],
        "submit": True,
    }


async def _login(http: httpx.AsyncClient, phone: str) -> ApiClient:
    return await login(http, phone, PASSWORD, label="bench seed")


# the statements of the traced request only: the in-process outbox relay runs alongside
_capturing: contextvars.ContextVar[list[tuple[str, Any]] | None] = contextvars.ContextVar(
    "bench_capturing", default=None
)


@asynccontextmanager
async def _capture(runtime: Runtime) -> AsyncIterator[list[tuple[str, Any]]]:
    statements: list[tuple[str, Any]] = []

    def before(_conn: Any, _cur: Any, stmt: str, params: Any, _ctx: Any, _many: bool) -> None:
        mine = _capturing.get()
        if mine is not None:
            mine.append((stmt, params))

    engine = runtime.db.engine.sync_engine
    event.listen(engine, "before_cursor_execute", before)
    token = _capturing.set(statements)
    try:
        yield statements
    finally:
        _capturing.reset(token)
        event.remove(engine, "before_cursor_execute", before)


async def _seed(settings: Settings) -> Seeded:
    app = create_app(settings)
    async with app.router.lifespan_context(app):
        runtime: Runtime = app.state.runtime
        async with runtime.transaction() as session:
            await identity.bootstrap_admin(
                session,
                phone=ADMIN_PHONE,
                password=PASSWORD,
                real_name="压测管理员",
                org_name="压测公司",
            )
        transport = httpx.ASGITransport(app=app, client=("127.0.0.1", 1))
        async with httpx.AsyncClient(transport=transport, base_url="http://bench") as http:
            seeded = await _build(http)
            for _ in range(3):  # warm caches (actor cache, statement caches) before tracing
                await http.get("/api/v1/org", headers={"Authorization": f"Bearer {seeded.token}"})
            await _trace(runtime, http, seeded)
        while await relay_once(runtime):
            pass
    return seeded


async def _build(http: httpx.AsyncClient) -> Seeded:
    admin = await _login(http, ADMIN_PHONE)
    me = await admin.call("GET", "/auth/me")
    root = me["unit_ids"][0]
    org_id = me["organization"]["id"]
    unit = await admin.call(
        "POST",
        "/org/units",
        json={"parent_id": root, "name": "行政部", "kind": "department", "code": "B-001"},
    )
    roles = {
        r["builtin_key"]: r["id"]
        for r in (await admin.call("GET", "/roles", params={"page_size": 100}))["items"]
        if r["builtin_key"]
    }
    users = {}
    for phone, name, role in (
        (KEEPER_PHONE, "李管章", "keeper"),
        (EMPLOYEE_PHONE, "王员工", "employee"),
    ):
        member = await admin.call(
            "POST",
            "/members",
            json={
                "real_name": name,
                "phone": phone,
                "password": PASSWORD,
                "role_ids": [roles[role]],
                "unit_ids": [unit["id"]],
            },
        )
        users[role] = member["user_id"]
    seal = await admin.call(
        "POST",
        "/seals",
        json={
            "kind": "physical",
            "type": "contract",
            "name": "合同专用章",
            "code": "HT-001",
            "unit_id": unit["id"],
            "keeper_ids": [users["keeper"]],
        },
    )
    await admin.call(
        "POST",
        "/flows",
        json={
            "name": "管章人审批",
            "priority": 0,
            "steps": [{"name": "管章人审批", "mode": "any", "approver": {"kind": "seal_keeper"}}],
        },
    )
    employee = await _login(http, EMPLOYEE_PHONE)
    docs = []
    for i in range(DOCUMENTS):
        doc = await employee.call(
            "POST",
            "/documents",
            files={"file": (f"合同{i}.pdf", demo_pdf(2), "application/pdf")},
        )
        docs.append(doc["id"])
    return Seeded(org_id=org_id, token=employee.token, seal_id=seal["id"], document_ids=docs)


async def _trace(runtime: Runtime, http: httpx.AsyncClient, seeded: Seeded) -> None:
    headers = {"Authorization": f"Bearer {seeded.token}"}
    # one untraced create first: statement caches, actor cache
    r = await http.post("/api/v1/requests", json=create_body(seeded, 0), headers=headers)
    if r.status_code != 201:
        raise RuntimeError(f"bench seed: create -> {r.status_code} {r.text}")
    async with _capture(runtime) as statements:
        t0 = time.perf_counter()
        r = await http.get("/api/v1/org", headers=headers)
        seeded.inproc_ms["read"] = (time.perf_counter() - t0) * 1000
        if r.status_code != 200:
            raise RuntimeError(f"bench seed: GET /org -> {r.status_code} {r.text}")
    seeded.trace["read"] = statements
    async with _capture(runtime) as statements:
        t0 = time.perf_counter()
        r = await http.post("/api/v1/requests", json=create_body(seeded, 1), headers=headers)
        seeded.inproc_ms["create"] = (time.perf_counter() - t0) * 1000
        if r.status_code != 201:
            raise RuntimeError(f"bench seed: create -> {r.status_code} {r.text}")
    seeded.trace["create"] = statements
    seeded.facts = _facts(seeded, r.json())


def _facts(seeded: Seeded, detail: dict[str, Any]) -> dict[str, Any]:
    flow, task, item = detail["flow"], detail["tasks"][0], detail["items"][0]
    return {
        "org_id": seeded.org_id,
        "applicant_id": detail["applicant_id"],
        "applicant_name": detail["applicant_name"],
        "unit_id": detail["unit_id"],
        "flow_id": flow["version_id"],
        "flow_snapshot": {
            "flow_id": flow["id"],
            "version_id": flow["version_id"],
            "version": flow["version"],
            "name": flow["name"],
            "steps": flow["steps"],
        },
        "step_name": task["step_name"],
        "step_mode": task["mode"],
        "keeper_id": task["assignee_id"],
        "keeper_name": task["assignee_name"],
        "seal_name": item["seal_name"],
        "seal_kind": item["seal_kind"],
        "seal_type": item["seal_type"],
    }


def seed(settings: Settings) -> Seeded:
    """Migrate `settings.database_url` and build the benchmark organisation."""
    migrate.upgrade(settings.database_url)
    return asyncio.run(_seed(settings))


def make_settings(database_url: str, data_dir: Path, master_key: str, **extra: Any) -> Settings:
    values: dict[str, Any] = {
        "database_url": database_url,
        "data_dir": data_dir,
        "master_key": master_key,
        "sms_provider": "capture",
        "log_level": "WARNING",
        "argon2_time_cost": 1,
        "argon2_memory_kib": 1024,
        **extra,
    }
    return Settings(**values)
