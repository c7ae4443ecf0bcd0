"""Creating applications: the SQL it costs, the reply built in memory, numbering under load."""

from __future__ import annotations

import asyncio
import contextvars
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from typing import Any

from sqlalchemy import event

from sealhub.requests.service._numbering import _number
from tests.requests.conftest import application, make_flow, make_world

# statements of the request under test only (the in-process outbox relay runs alongside)
_capturing: contextvars.ContextVar[list[str] | None] = contextvars.ContextVar(
    "capturing", default=None
)

# create + submit, one seal and one document, a one-step flow (the benchmark's shape):
# 1 org settings, 1 counter, 1 documents, 1 seals with keepers, 1 applicant and keepers
# with their units, 1 unit chain with supervisors, 1 flows, 7 INSERTs (request, document
# link, item, 3 events, task, 2 audit entries, outbox; rows of one table go out together).
# It was 37 (25 SELECTs) at first.
# +1 since the evidence log: its leaves (one per audit entry and event) are one executemany
CREATE_SUBMIT_MAX = 15
CREATE_SUBMIT_MAX_SELECTS = 6


@contextmanager
def _statements(app: Any) -> Iterator[list[str]]:
    engine = app.state.runtime.db.engine.sync_engine
    seen: list[str] = []

    def before(_conn: Any, _cur: Any, stmt: str, *_: Any) -> None:
        mine = _capturing.get()
        if mine is not None:
            mine.append(stmt)

    event.listen(engine, "before_cursor_execute", before)
    token = _capturing.set(seen)
    try:
        yield seen
    finally:
        _capturing.reset(token)
        event.remove(engine, "before_cursor_execute", before)


def _keeper_only(w: Any) -> list[dict[str, Any]]:
    return [{"name": "管章人审批", "mode": "any", "approver": {"kind": "seal_keeper"}}]


async def test_create_and_submit_statement_count(client, app):
    w = await make_world(client, app, flow=False)
    await make_flow(w.admin, _keeper_only(w))
    body = application(w, items=[{"seal_id": w.seal["id"], "presses": 1}])
    await w.employee.post("/api/v1/requests", json=body)  # warm: actor cache, pool
    with _statements(app) as seen:
        created = await w.employee.post("/api/v1/requests", json=body)
    kinds = [s.lstrip().split(None, 1)[0].upper() for s in seen]
    listing = "\n".join(s.split("\n", 1)[0][:120] for s in seen)
    assert len(seen) <= CREATE_SUBMIT_MAX, f"{len(seen)} statements:\n{listing}"
    assert kinds.count("SELECT") <= CREATE_SUBMIT_MAX_SELECTS, listing
    # inserted in its final status: no UPDATE of the new row, no savepoint
    assert "UPDATE" not in kinds and "SAVEPOINT" not in kinds, listing
    assert created["status"] == "in_review"
    assert [e["action"] for e in created["timeline"]] == ["create", "submit", "route"]
    assert [t["assignee_id"] for t in created["tasks"]] == [w.keeper.user_id]
    assert created["tasks"][0]["assignee_name"] == "李管章"


async def test_create_reply_matches_a_fresh_read(client, app):
    w = await make_world(client, app)
    for submit in (True, False):
        created = await w.employee.post("/api/v1/requests", json=application(w, submit=submit))
        read = await w.employee.get(f"/api/v1/requests/{created['id']}")
        assert created == read


async def test_concurrent_creates_in_one_organisation_all_succeed(client, app):
    w = await make_world(client, app)
    await w.employee.get("/api/v1/auth/me")  # actor cached: most creates take a number apart
    n = 32

    async def one(i: int) -> Any:
        # every other one with an Idempotency-Key: looked up first, so the number is taken
        # in the create's own transaction (the other path)
        headers = {"Idempotency-Key": f"burst-{i}"} if i % 2 else {}
        body = application(w, name=f"并发申请 {i}", submit=i % 4 != 0)
        return await w.employee.call("POST", "/api/v1/requests", json=body, headers=headers)

    replies = await asyncio.gather(*(one(i) for i in range(n)))
    assert [r.status_code for r in replies] == [201] * n, [
        r.text for r in replies if r.status_code != 201
    ]
    numbers = [r.json()["number"] for r in replies]
    assert len(set(numbers)) == n
    days = {x.rsplit("-", 1)[0] for x in numbers}
    if len(days) == 1:  # not across local midnight: nothing failed, so no gaps either
        assert sorted(int(x.rsplit("-", 1)[1]) for x in numbers) == list(range(1, n + 1))
    listed = await w.employee.get("/api/v1/requests", params={"box": "mine", "page_size": 100})
    assert listed["total"] == n


def test_numbers_widen_after_9999():
    assert _number(date(2026, 11, 23), 7) == "SQ20261123-0007"
    assert _number(date(2026, 11, 23), 9999) == "SQ20261123-9999"
    assert _number(date(2026, 11, 23), 10000) == "SQ20261123-10000"
