"""Audit entries and outbox events skip the ORM but keep its transaction semantics."""

from __future__ import annotations

import uuid
from datetime import timedelta

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import func, select

from sealhub.platform import audit, clock, events
from sealhub.platform.actor import SystemActor
from sealhub.platform.audit import AuditEntry
from sealhub.platform.db import appends
from sealhub.platform.events import OutboxEvent
from sealhub.platform.ids import new_id
from sealhub.platform.runtime import Runtime
from sealhub.requests.models import RequestEvent, StampRequest
from tests.builders import register_org


class Boom(Exception):
    pass


def _runtime(app: FastAPI) -> Runtime:
    runtime: Runtime = app.state.runtime
    return runtime


async def _count(runtime: Runtime, tag: str) -> dict[str, int]:
    """Committed audit entries per target id and outbox events, for rows tagged `tag`."""
    async with runtime.transaction() as session:
        rows = await session.execute(
            select(AuditEntry.target_id, func.count())
            .where(AuditEntry.action == f"test.{tag}")
            .group_by(AuditEntry.target_id)
        )
        counts = {str(target): int(n) for target, n in rows.all()}
        counts["outbox"] = int(
            await session.scalar(select(func.count()).where(OutboxEvent.name == f"test.{tag}")) or 0
        )
    return counts


async def _record(session: object, tag: str, target: str) -> None:
    await audit.record(
        session,  # type: ignore[arg-type]
        SystemActor(),
        f"test.{tag}",
        "test",
        target,
        summary=audit.Summary(f"测试 {target}", f"test {target}"),
        after={"id": uuid.uuid4()},
    )


async def test_written_with_the_commit_and_dropped_with_a_rollback(app: FastAPI) -> None:
    runtime, tag = _runtime(app), uuid.uuid4().hex[:8]
    async with runtime.transaction() as session:
        await _record(session, tag, "kept")
        events.write(session, f"test.{tag}", {"n": 1}, org_id=None)
    with pytest.raises(Boom):
        async with runtime.transaction() as session:
            await _record(session, tag, "dropped")
            events.write(session, f"test.{tag}", {"n": 2}, org_id=None)
            raise Boom
    assert await _count(runtime, tag) == {"kept": 1, "outbox": 1}
    async with runtime.transaction() as session:
        entry = (
            await session.execute(select(AuditEntry).where(AuditEntry.action == f"test.{tag}"))
        ).scalar_one()
        event = (
            await session.execute(select(OutboxEvent).where(OutboxEvent.name == f"test.{tag}"))
        ).scalar_one()
    assert (entry.summary, entry.summary_en, entry.actor_name) == (
        "测试 kept",
        "test kept",
        "system",
    )
    assert entry.at.tzinfo is not None and isinstance(entry.after, dict)
    # (the app's relay may have seen it already: it keeps an undeclared event, with a note)
    assert (event.payload, event.org_id) == ({"n": 1}, None)
    assert event.last_error in (None, f"undeclared event 'test.{tag}'")


async def test_a_savepoint_keeps_the_rows_before_it_and_drops_its_own(app: FastAPI) -> None:
    runtime, tag = _runtime(app), uuid.uuid4().hex[:8]
    async with runtime.transaction() as session:
        await _record(session, tag, "before")
        with pytest.raises(Boom):
            async with appends.savepoint(session):
                await _record(session, tag, "inside-failed")
                raise Boom
        async with appends.savepoint(session):
            await _record(session, tag, "inside-kept")
        await _record(session, tag, "after")
    assert await _count(runtime, tag) == {
        "before": 1,
        "inside-kept": 1,
        "after": 1,
        "outbox": 0,
    }


async def test_a_plain_savepoint_over_queued_rows_is_refused(app: FastAPI) -> None:
    runtime, tag = _runtime(app), uuid.uuid4().hex[:8]
    with pytest.raises(RuntimeError, match=r"appends\.savepoint"):
        async with runtime.transaction() as session:
            await _record(session, tag, "queued")
            async with session.begin_nested():
                pass
    assert await _count(runtime, tag) == {"outbox": 0}


async def test_a_flush_writes_them_before_a_query_in_the_same_transaction(app: FastAPI) -> None:
    runtime, tag = _runtime(app), uuid.uuid4().hex[:8]
    async with runtime.transaction() as session:
        await _record(session, tag, "mine")
        await appends.write(session)
        seen = await session.scalar(select(func.count()).where(AuditEntry.action == f"test.{tag}"))
    assert seen == 1


async def test_they_may_reference_rows_flushed_in_the_same_transaction(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    """Written after the ORM's rows: a timeline entry of a request created in the same
    transaction satisfies its foreign key (PostgreSQL and MariaDB enforce it at once)."""
    admin = await register_org(client, app)
    runtime, tag = _runtime(app), uuid.uuid4().hex[:8]
    now = clock.now()
    async with runtime.transaction() as session:
        req = StampRequest(
            id=new_id(),
            org_id=uuid.UUID(admin.org_id),
            number=f"T{tag}",
            name="t",
            valid_from=now,
            valid_until=now + timedelta(days=1),
            applicant_id=uuid.UUID(admin.user_id),
        )
        session.add(req)  # pending, not flushed: the commit's flush writes it first
        appends.append(
            session,
            RequestEvent,
            {
                "id": new_id(),
                "org_id": req.org_id,
                "request_id": req.id,
                "actor_id": None,
                "actor_name": "t",
                "action": f"test.{tag}",
                "from_status": None,
                "to_status": "draft",
                "comment": "",
                "at": now,
            },
        )
    async with runtime.transaction() as session:
        found = await session.scalar(
            select(func.count()).where(RequestEvent.action == f"test.{tag}")
        )
    assert found == 1
