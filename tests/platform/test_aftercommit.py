"""aftercommit.call: runs once the outermost transaction has committed, never on rollback."""

from __future__ import annotations

import uuid

import pytest
from sqlalchemy import func, select

from sealhub.app import build_runtime
from sealhub.platform import idempotency
from sealhub.platform.db import aftercommit, appends
from sealhub.platform.idempotency import IdempotentReply
from tests.conftest import make_settings


@pytest.fixture
async def runtime(db_url, tmp_path):
    rt = build_runtime(make_settings(db_url, tmp_path))
    yield rt
    await rt.close()


async def _count(runtime, principal: str) -> int:
    async with runtime.db.sessions() as other:
        found = await other.scalar(
            select(func.count())
            .select_from(IdempotentReply)
            .where(IdempotentReply.principal == principal)
        )
    return int(found or 0)


async def test_runs_after_the_commit_is_visible_to_others(runtime):
    principal = f"ac-{uuid.uuid4().hex[:8]}"
    seen: list[int] = []

    async def check() -> None:
        seen.append(await _count(runtime, principal))

    async with runtime.transaction() as session:
        await idempotency.remember(session, principal, "k", "f", 201, {})
        aftercommit.call(session, check)
        async with appends.savepoint(session):
            await idempotency.remember(session, principal, "k2", "f", 201, {})
        # a released savepoint is not a commit
        assert seen == []
    assert seen == [2]


async def test_a_rollback_drops_it(runtime):
    called: list[str] = []

    async def note() -> None:
        called.append("x")

    with pytest.raises(RuntimeError):
        async with runtime.transaction() as session:
            aftercommit.call(session, note)
            raise RuntimeError("abort")
    async with runtime.transaction() as session:
        pass
    assert called == []


async def test_a_savepoint_rollback_drops_only_its_own(runtime):
    called: list[str] = []

    async def outer() -> None:
        called.append("outer")

    async def inner() -> None:
        called.append("inner")

    async with runtime.transaction() as session:
        aftercommit.call(session, outer)
        with pytest.raises(RuntimeError):
            async with appends.savepoint(session):
                aftercommit.call(session, inner)
                raise RuntimeError("abort the savepoint")
    assert called == ["outer"]
