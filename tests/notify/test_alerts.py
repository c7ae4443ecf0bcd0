"""Alerts: one per condition and object (also under concurrency, on every database), their
lifecycle through the API, its events and audit entries, permissions and tenants."""

from __future__ import annotations

import asyncio
import uuid

import pytest
from sqlalchemy import select

from sealhub.api.stream import rule_for
from sealhub.notify import alerts
from sealhub.platform.audit import AuditEntry
from sealhub.platform.events import OutboxEvent
from tests.builders import add_member, register_org
from tests.notify.support import LOW_BATTERY, TAMPER, raise_one


async def _events(app, org_id: str, name: str) -> list[dict]:
    async with app.state.runtime.transaction() as session:
        rows = await session.execute(
            select(OutboxEvent.payload)
            .where(OutboxEvent.org_id == uuid.UUID(org_id), OutboxEvent.name == name)
            .order_by(OutboxEvent.id)
        )
        return [dict(p) for p in rows.scalars()]


async def _audit(app, org_id: str, action: str) -> list[AuditEntry]:
    async with app.state.runtime.transaction() as session:
        rows = await session.execute(
            select(AuditEntry)
            .where(AuditEntry.org_id == uuid.UUID(org_id), AuditEntry.action == action)
            .order_by(AuditEntry.at, AuditEntry.id)
        )
        return list(rows.scalars())


async def test_repeats_count_on_one_alert_per_condition_and_object(client, app):
    admin = await register_org(client, app)
    device, other = uuid.uuid4(), uuid.uuid4()
    first = await raise_one(app, admin.org_id, device, details={"part": "casing"})
    again = await raise_one(app, admin.org_id, device, details={"part": "cylinder"})
    third = await raise_one(app, admin.org_id, device)
    assert first.id == again.id == third.id
    assert [first.count, again.count, third.count] == [1, 2, 3]
    assert third.last_at >= first.last_at and third.first_at == first.first_at
    assert third.details == {}  # the latest occurrence's details
    # another object, another condition: alerts of their own
    assert (await raise_one(app, admin.org_id, other)).id != first.id
    low = await raise_one(app, admin.org_id, device, kind=LOW_BATTERY)
    assert low.id != first.id and low.severity == "info" and first.severity == "critical"

    raised = [e for e in await _events(app, admin.org_id, "alert.raised")]
    mine = [e for e in raised if e["alert_id"] == str(first.id)]
    assert [e["count"] for e in mine] == [1, 2, 3]
    assert mine[1]["details"] == {"part": "cylinder"} and mine[0]["v"] == 1
    assert len(await _audit(app, admin.org_id, "alert.raise")) == 5

    page = await admin.get("/api/v1/alerts", params={"subject_id": str(device)})
    assert page["total"] == 2
    assert {a["kind"]: a["count"] for a in page["items"]} == {TAMPER: 3, LOW_BATTERY: 1}


async def test_concurrent_raises_make_one_alert_with_every_count(client, app):
    admin = await register_org(client, app)
    device = uuid.uuid4()
    n = 12
    got = await asyncio.gather(*(raise_one(app, admin.org_id, device) for _ in range(n)))
    assert len({a.id for a in got}) == 1
    assert sorted(a.count for a in got) == list(range(1, n + 1))
    page = await admin.get("/api/v1/alerts", params={"subject_id": str(device)})
    assert page["total"] == 1 and page["items"][0]["count"] == n


async def test_lifecycle_acknowledge_then_resolve_and_reopen(client, app):
    admin = await register_org(client, app)
    keeper = await add_member(admin, name="管章人", roles=["keeper"])
    device = uuid.uuid4()
    alert = await raise_one(app, admin.org_id, device)
    url = f"/api/v1/alerts/{alert.id}"

    shown = await keeper.get(url)
    assert shown["status"] == "open" and shown["actions"] == ["acknowledge", "resolve"]
    counts = await keeper.get("/api/v1/alerts/counts")
    assert (counts["open"], counts["unresolved"], counts["by_severity"]["critical"]) == (1, 1, 1)

    acked = await keeper.post(f"{url}/acknowledge", json={"comment": "已派人"}, expect=200)
    assert acked["status"] == "acknowledged" and acked["acknowledged_by"] == keeper.user_id
    assert acked["acknowledged_by_name"] == "管章人" and acked["acknowledge_comment"] == "已派人"
    assert acked["actions"] == ["resolve"]
    r = await keeper.call("POST", f"{url}/acknowledge", json={})
    assert r.status_code == 409 and r.json()["code"] == "alert.invalid_transition"

    # a repeat while acknowledged counts on the same alert and leaves it acknowledged
    again = await raise_one(app, admin.org_id, device)
    assert (again.id, again.count, again.status) == (alert.id, 2, "acknowledged")
    counts = await keeper.get("/api/v1/alerts/counts")
    assert (counts["open"], counts["acknowledged"]) == (0, 1)

    r = await keeper.call("POST", f"{url}/resolve", json={})
    assert r.status_code == 422  # a resolution says why
    done = await keeper.post(f"{url}/resolve", json={"comment": "外壳已更换"}, expect=200)
    assert done["status"] == "resolved" and done["resolve_comment"] == "外壳已更换"
    assert done["resolved_by"] == keeper.user_id and done["actions"] == []
    r = await keeper.call("POST", f"{url}/resolve", json={"comment": "again"})
    assert r.status_code == 409

    # the next occurrence after resolution is a new alert
    fresh = await raise_one(app, admin.org_id, device)
    assert fresh.id != alert.id and fresh.count == 1 and fresh.status == "open"

    names = [e["alert_id"] for e in await _events(app, admin.org_id, "alert.acknowledged")]
    assert names == [str(alert.id)]
    resolved = await _events(app, admin.org_id, "alert.resolved")
    assert [(e["alert_id"], e["comment"], e["by"]) for e in resolved] == [
        (str(alert.id), "外壳已更换", keeper.user_id)
    ]
    entries = await _audit(app, admin.org_id, "alert.acknowledge")
    assert [e.actor_id for e in entries] == [uuid.UUID(keeper.user_id)]
    assert len(await _audit(app, admin.org_id, "alert.resolve")) == 1


async def test_filters(client, app):
    admin = await register_org(client, app)
    d1, d2 = uuid.uuid4(), uuid.uuid4()
    request_id = uuid.uuid4()
    a1 = await raise_one(app, admin.org_id, d1, request_id=request_id)
    a2 = await raise_one(app, admin.org_id, d2, kind=LOW_BATTERY)
    await admin.post(f"/api/v1/alerts/{a2.id}/resolve", json={"comment": "充电"}, expect=200)

    async def ids(**params: object) -> list[str]:
        page = await admin.get("/api/v1/alerts", params=params)
        return sorted(a["id"] for a in page["items"])

    both = sorted([str(a1.id), str(a2.id)])
    assert await ids() == both
    assert await ids(status="open") == [str(a1.id)]
    assert await ids(status=["open", "resolved"]) == both
    assert await ids(kind=LOW_BATTERY) == [str(a2.id)]
    assert await ids(kind="testdevice.") == both
    assert await ids(severity="critical") == [str(a1.id)]
    assert await ids(subject_type="device", subject_id=str(d2)) == [str(a2.id)]
    assert await ids(request_id=str(request_id)) == [str(a1.id)]
    assert await ids(since="2000-01-01T00:00:00Z", until="2001-01-01T00:00:00Z") == []
    page = await admin.get("/api/v1/alerts", params={"sort": "-count", "page_size": 1})
    assert page["total"] == 2 and len(page["items"]) == 1
    r = await admin.call("GET", "/api/v1/alerts", params={"status": "bogus"})
    assert r.status_code == 422


async def test_who_may_read_and_handle(client, app):
    admin = await register_org(client, app)
    alert = await raise_one(app, admin.org_id, uuid.uuid4())
    url = f"/api/v1/alerts/{alert.id}"
    employee = await add_member(admin, name="员工", roles=["employee"])
    auditor = await add_member(admin, name="审计", roles=["auditor"])
    it = await add_member(admin, name="IT", roles=["it"])
    assert (await employee.call("GET", "/api/v1/alerts")).status_code == 403
    assert (await employee.call("GET", "/api/v1/alerts/counts")).status_code == 403
    shown = await auditor.get(url)
    assert shown["actions"] == []  # reads, never handles
    r = await auditor.call("POST", f"{url}/acknowledge", json={})
    assert r.status_code == 403
    await it.post(f"{url}/acknowledge", json={}, expect=200)


async def test_another_organisations_alert_is_not_found(client, app):
    a = await register_org(client, app, org_name="甲公司")
    b = await register_org(client, app, org_name="乙公司")
    theirs = await raise_one(app, b.org_id, uuid.uuid4())
    for method, path, body in [
        ("GET", f"/api/v1/alerts/{theirs.id}", None),
        ("POST", f"/api/v1/alerts/{theirs.id}/acknowledge", {}),
        ("POST", f"/api/v1/alerts/{theirs.id}/resolve", {"comment": "x"}),
    ]:
        r = await a.call(method, path, json=body)
        assert r.status_code == 404 and r.json()["code"] == "alert.not_found", path
    assert (await a.get("/api/v1/alerts"))["total"] == 0
    assert (await a.get("/api/v1/alerts/counts"))["unresolved"] == 0
    assert (await b.get(f"/api/v1/alerts/{theirs.id}"))["status"] == "open"


async def test_kinds_are_served_as_labels_and_must_be_declared(client, app):
    admin = await register_org(client, app)
    enums = await admin.get("/api/v1/meta/enums")
    kinds = {k["value"]: k for k in enums["alert_kind"]}
    assert kinds[TAMPER]["zh"] == "测试设备被拆" and kinds[TAMPER]["color"] == "danger"
    assert [s["value"] for s in enums["alert_status"]] == ["open", "acknowledged", "resolved"]
    with pytest.raises(KeyError):
        await raise_one(app, admin.org_id, uuid.uuid4(), kind="testdevice.never_declared")
    with pytest.raises(ValueError):
        alerts.declare_kind("NotDotted", "x", "x")
    with pytest.raises(ValueError):
        alerts.declare_kind(TAMPER, "别的", "Other")  # same key, other labels
    assert alerts.declare_kind(TAMPER, "测试设备被拆", "Test device tampered", severity="critical")


def test_alert_events_stream_to_readers_of_alerts():
    rule = rule_for("alert.raised")
    assert rule is not None and rule[0] == "alert_id"
    assert rule_for("alert.resolved") is not None
