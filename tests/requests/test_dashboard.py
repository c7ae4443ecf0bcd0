"""The overview figures follow real applications and the caller's scope."""

from __future__ import annotations

from datetime import timedelta

from sealhub.platform import clock
from tests.builders import login
from tests.requests.conftest import apply, make_world


async def test_overview_counts(client, app):
    w = await make_world(client, app)
    before = await w.boss.get("/api/v1/dashboard/overview")
    assert before["pending_approvals"] == 0
    await apply(w)
    await apply(w, name="第二份")
    await apply(w, submit=False, name="草稿")
    boss = await w.boss.get("/api/v1/dashboard/overview")
    assert boss["pending_approvals"] == 2  # the draft routes to nobody
    assert boss["requests_this_week"] == 3  # approver reads the whole department
    assert len(boss["trend"]) == 30 and boss["trend"][-1]["count"] == 3
    assert sum(d["count"] for d in boss["trend"]) == 3
    assert boss["seals_by_status"] == []  # seals belong to the root unit, not below theirs
    admin = await w.admin.get("/api/v1/dashboard/overview")
    assert admin["seals_by_status"] == [{"status": "active", "count": 2}]

    employee = await w.employee.get("/api/v1/dashboard/overview")
    assert employee["pending_approvals"] == 0 and employee["requests_this_week"] == 3
    assert employee["seals_by_status"] == []  # seal.read with self scope: keeps none

    outsider = await make_world(client, app)
    assert (await outsider.boss.get("/api/v1/dashboard/overview"))["requests_this_week"] == 0

    clock.advance(timedelta(days=31))
    boss_again = await login(client, w.boss.phone)  # the old session expired meanwhile
    later = await boss_again.get("/api/v1/dashboard/overview")
    assert sum(d["count"] for d in later["trend"]) == 0
