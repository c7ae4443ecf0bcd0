"""Custody of physical seals: hand-out, return, the one-open rule, overdue, who may act."""

from __future__ import annotations

import uuid
from datetime import timedelta

from sqlalchemy import select

from sealhub.platform import clock
from sealhub.platform.events import OutboxEvent
from sealhub.seals import service as seals_service
from tests.builders import add_member
from tests.seals.conftest import approved_request, later, make_org, new_seal


def hand_out_body(holder_id: str, request_id: str | None = None, **extra):
    # a made-up application id only reaches seal-level checks, which come first
    return {
        "request_id": request_id or str(uuid.uuid4()),
        "holder_id": holder_id,
        "expected_return_at": later(),
        **extra,
    }


async def outbox(app, name: str, custody_id: str) -> list[dict]:
    async with app.state.runtime.db.sessions() as session:
        rows = (
            await session.execute(select(OutboxEvent).where(OutboxEvent.name == name))
        ).scalars()
        return [e.payload for e in rows if e.payload.get("custody_id") == custody_id]


async def test_hand_out_and_return(client, app):
    org = await make_org(client, app)
    seal = await new_seal(org.admin, org.root_unit, code="C-1", keeper_ids=[org.keeper.user_id])
    url = f"/api/v1/seals/{seal['id']}/hand-out"
    rid = await approved_request(org, seal, org.employee)
    body = hand_out_body(
        org.employee.user_id, request_id=rid, carried_out=True, note="去工商局办理变更"
    )
    out = await org.keeper.post(url, json=body)
    assert out["holder_id"] == org.employee.user_id and out["holder_name"] == "张员工"
    assert out["handed_out_by"] == org.keeper.user_id and out["handed_out_by_name"] == "李管章"
    assert out["carried_out"] is True and out["note"] == "去工商局办理变更"
    assert out["request_id"] == body["request_id"] and out["returned_at"] is None
    assert out["overdue"] is False and out["seal_code"] == "C-1"

    # only one open hand-out per seal
    again = await org.keeper.call("POST", url, json=hand_out_body(org.admin.user_id))
    assert again.status_code == 409 and again.json()["code"] == "seal.already_out"

    [event] = await outbox(app, "seal.handed_out", out["id"])
    assert event["seal_id"] == seal["id"] and event["request_id"] == body["request_id"]
    assert event["holder_id"] == org.employee.user_id and event["org_id"] == org.admin.org_id

    async with app.state.runtime.db.sessions() as session:
        open_now = await seals_service.open_custody_for_request(
            session, uuid.UUID(org.admin.org_id), uuid.UUID(body["request_id"])
        )
    assert [c.id for c in open_now] == [uuid.UUID(out["id"])] and open_now[0].carried_out

    back = await org.keeper.post(
        f"/api/v1/custody/{out['id']}/return", json={"note": "完好"}, expect=200
    )
    assert back["returned_to"] == org.keeper.user_id and back["returned_to_name"] == "李管章"
    assert back["return_note"] == "完好" and back["returned_at"]
    [event] = await outbox(app, "seal.returned", out["id"])
    assert event["custody_id"] == out["id"] and event["request_id"] == body["request_id"]
    r = await org.keeper.call("POST", f"/api/v1/custody/{out['id']}/return", json={})
    assert r.status_code == 409 and r.json()["code"] == "seal.already_returned"

    async with app.state.runtime.db.sessions() as session:
        assert not await seals_service.open_custody_for_request(
            session, uuid.UUID(org.admin.org_id), uuid.UUID(body["request_id"])
        )

    # returned: it can go out again, this time kept on the premises
    second = await org.keeper.post(url, json=hand_out_body(org.employee.user_id, request_id=rid))
    assert second["carried_out"] is False
    history = await org.keeper.get(f"/api/v1/seals/{seal['id']}/custody")
    assert history["total"] == 2 and [h["id"] for h in history["items"]] == [
        second["id"],
        out["id"],
    ]
    still_out = await org.keeper.get(
        f"/api/v1/seals/{seal['id']}/custody", params={"open_only": "true"}
    )
    assert [h["id"] for h in still_out["items"]] == [second["id"]]


async def test_only_active_physical_seals_go_out(client, app):
    org = await make_org(client, app)
    keepers = {"keeper_ids": [org.keeper.user_id]}
    electronic = await new_seal(org.admin, org.root_unit, code="E", kind="electronic", **keepers)
    smart = await new_seal(org.admin, org.root_unit, code="S", kind="smart", **keepers)
    for seal in (electronic, smart):
        r = await org.keeper.call(
            "POST",
            f"/api/v1/seals/{seal['id']}/hand-out",
            json=hand_out_body(org.employee.user_id),
        )
        assert r.status_code == 409 and r.json()["code"] == "seal.not_physical"
    physical = await new_seal(org.admin, org.root_unit, code="P", **keepers)
    await org.admin.post(
        f"/api/v1/seals/{physical['id']}/status",
        json={"status": "suspended", "reason": "盘点"},
        expect=200,
    )
    r = await org.keeper.call(
        "POST", f"/api/v1/seals/{physical['id']}/hand-out", json=hand_out_body(org.employee.user_id)
    )
    assert r.status_code == 409 and r.json()["code"] == "seal.not_active"


async def test_hand_out_validates_holder_and_time(client, app):
    org = await make_org(client, app)
    seal = await new_seal(org.admin, org.root_unit, code="V", keeper_ids=[org.keeper.user_id])
    url = f"/api/v1/seals/{seal['id']}/hand-out"
    r = await org.keeper.call("POST", url, json=hand_out_body(str(uuid.uuid4())))
    assert r.status_code == 422 and r.json()["code"] == "seal.holder_not_member"
    past = (clock.now() - timedelta(minutes=1)).isoformat()
    r = await org.keeper.call(
        "POST", url, json=hand_out_body(org.employee.user_id, expected_return_at=past)
    )
    assert r.status_code == 422 and r.json()["code"] == "seal.bad_return_time"
    naive = "2999-01-01T00:00:00"
    r = await org.keeper.call(
        "POST", url, json=hand_out_body(org.employee.user_id, expected_return_at=naive)
    )
    assert r.status_code == 422


async def test_only_keepers_hand_out_and_take_back(client, app):
    org = await make_org(client, app)
    other_keeper = await add_member(
        org.admin, name="钱管章", roles=["keeper"], unit_ids=[org.root_unit]
    )
    seal = await new_seal(org.admin, org.root_unit, code="K", keeper_ids=[org.keeper.user_id])
    url = f"/api/v1/seals/{seal['id']}/hand-out"
    # a keeper of other seals (seal.custody, org scope, no seal.manage) is not this seal's keeper
    r = await other_keeper.call("POST", url, json=hand_out_body(org.employee.user_id))
    assert r.status_code == 403 and r.json()["code"] == "seal.not_keeper"
    # an employee lacks seal.custody even when named keeper
    await org.admin.patch(
        f"/api/v1/seals/{seal['id']}",
        json={"keeper_ids": [org.keeper.user_id, org.employee.user_id]},
    )
    r = await org.employee.call("POST", url, json=hand_out_body(org.admin.user_id))
    assert r.status_code == 403 and r.json()["code"] == "common.forbidden"
    rid = await approved_request(org, seal, org.employee)
    out = await org.keeper.post(url, json=hand_out_body(org.employee.user_id, request_id=rid))
    r = await other_keeper.call("POST", f"/api/v1/custody/{out['id']}/return", json={})
    assert r.status_code == 403 and r.json()["code"] == "seal.not_keeper"
    # an organisation-wide seal manager (the admin) may act without being a keeper
    back = await org.admin.post(f"/api/v1/custody/{out['id']}/return", json={}, expect=200)
    assert back["returned_to"] == org.admin.user_id
    again = await org.admin.post(url, json=hand_out_body(org.employee.user_id, request_id=rid))
    assert again["id"]
    # the application decides who may hold it: not the keeper
    await org.admin.post(f"/api/v1/custody/{again['id']}/return", json={}, expect=200)
    r = await org.admin.call("POST", url, json=hand_out_body(org.keeper.user_id, request_id=rid))
    assert r.status_code in (403, 409, 422) and r.json()["code"].startswith("request.")


async def test_overdue_query_follows_the_clock(client, app):
    org = await make_org(client, app)
    keepers = {"keeper_ids": [org.keeper.user_id]}
    s1 = await new_seal(org.admin, org.root_unit, code="O-1", **keepers)
    s2 = await new_seal(org.admin, org.root_unit, code="O-2", **keepers)
    r1 = await approved_request(org, s1, org.employee)
    r2 = await approved_request(org, s2, org.employee)
    soon = await org.keeper.post(
        f"/api/v1/seals/{s1['id']}/hand-out",
        json=hand_out_body(org.employee.user_id, request_id=r1, expected_return_at=later(1)),
    )
    await org.keeper.post(
        f"/api/v1/seals/{s2['id']}/hand-out",
        json=hand_out_body(org.employee.user_id, request_id=r2, expected_return_at=later(48)),
    )
    assert (await org.keeper.get("/api/v1/custody/overdue"))["total"] == 0

    clock.advance(timedelta(hours=2))
    overdue = await org.keeper.get("/api/v1/custody/overdue")
    assert overdue["total"] == 1 and overdue["items"][0]["id"] == soon["id"]
    assert overdue["items"][0]["overdue"] is True
    # the holder sees their own overdue hand-out even without seeing the seal
    mine = await org.employee.get("/api/v1/custody/overdue")
    assert [c["id"] for c in mine["items"]] == [soon["id"]]

    await org.keeper.post(f"/api/v1/custody/{soon['id']}/return", json={}, expect=200)
    assert (await org.keeper.get("/api/v1/custody/overdue"))["total"] == 0
    clock.advance(timedelta(days=3))
    assert [c["seal_code"] for c in (await org.admin.get("/api/v1/custody/overdue"))["items"]] == [
        "O-2"
    ]


async def test_briefs_for_other_contexts(client, app):
    org = await make_org(client, app)
    seal = await new_seal(org.admin, org.root_unit, code="B", keeper_ids=[org.keeper.user_id])
    other = await make_org(client, app, "别家公司")
    foreign = await new_seal(other.admin, other.root_unit, code="B")
    org_id = uuid.UUID(org.admin.org_id)
    async with app.state.runtime.db.sessions() as session:
        briefs = await seals_service.get_briefs(
            session, org_id, [uuid.UUID(seal["id"]), uuid.UUID(foreign["id"])]
        )
    assert list(briefs) == [uuid.UUID(seal["id"])]
    brief = briefs[uuid.UUID(seal["id"])]
    assert brief.code == "B" and brief.kind == "physical" and brief.type == "contract"
    assert brief.status == "active" and str(brief.unit_id) == org.root_unit
    assert brief.keeper_ids == (uuid.UUID(org.keeper.user_id),)
