"""After approval: the physical-seal path, photos, add presses, ending, windows, expiry,
inboxes."""

from __future__ import annotations

import asyncio
import uuid
from datetime import timedelta

from sealhub import worker
from sealhub.platform import clock
from sealhub.requests import service as requests_service
from tests.requests.conftest import (
    apply,
    approve_all,
    at,
    make_world,
    pdf_bytes,
    png_bytes,
    upload,
)


async def settle(app, api, rid, status, tries=50):
    """Deliver outbox events until the application reaches `status`."""
    for _ in range(tries):
        await worker.relay_once(app.state.runtime)
        detail = await api.get(f"/api/v1/requests/{rid}")
        if detail["status"] == status:
            return detail
        await asyncio.sleep(0.05)
    raise AssertionError(f"still {detail['status']}, wanted {status}")


async def hand_out(w, rid, holder=None, expect=201):
    r = await w.keeper.call(
        "POST",
        f"/api/v1/seals/{w.seal['id']}/hand-out",
        json={
            "request_id": rid,
            "holder_id": holder or w.employee.user_id,
            "expected_return_at": at(4),
        },
        expect=expect,
    )
    return r.json()


async def photo(api, rid, data=None, expect=201):
    name, kind = ("扫描.pdf", "application/pdf") if data else ("盖章页.png", "image/png")
    r = await api.call(
        "POST",
        f"/api/v1/requests/{rid}/photos",
        files={"file": (name, data or png_bytes(), kind)},
        expect=expect,
    )
    return r.json()


async def test_physical_path_to_completed(client, app):
    w = await make_world(client, app)
    req = await approve_all(w, await apply(w))
    rid = req["id"]
    # hand-out rules: only to the applicant, only for this application's seal
    r = await w.keeper.call(
        "POST",
        f"/api/v1/seals/{w.seal['id']}/hand-out",
        json={"request_id": rid, "holder_id": w.boss.user_id, "expected_return_at": at(4)},
        expect=409,
    )
    assert r.json()["code"] == "request.hand_out_not_allowed"
    custody = await hand_out(w, rid)
    detail = await w.employee.get(f"/api/v1/requests/{rid}")
    assert detail["status"] == "in_use" and detail["photos_owed"]
    assert detail["can"]["upload_photos"]
    assert detail["timeline"][-1]["action"] == "use"
    # returned before photos: stays in use
    await w.keeper.post(f"/api/v1/custody/{custody['id']}/return", json={}, expect=200)
    for _ in range(3):
        await worker.relay_once(app.state.runtime)
    assert (await w.employee.get(f"/api/v1/requests/{rid}"))["status"] == "in_use"
    # photos complete it
    await photo(w.keeper, rid, expect=403)
    up = await photo(w.employee, rid)
    assert len(up["sha256"]) == 64
    done = await w.employee.get(f"/api/v1/requests/{rid}")
    assert done["status"] == "completed" and not done["photos_owed"]
    assert done["timeline"][-1]["action"] == "complete"
    r = await w.keeper.call("GET", f"/api/v1/requests/{rid}/photos/{up['id']}/content", expect=200)
    assert r.content == png_bytes() and r.headers["content-type"] == "image/png"
    # completed -> archived by a manager
    archived = await w.admin.post(f"/api/v1/requests/{rid}/archive", expect=200)
    assert archived["status"] == "archived"
    # hand-out against a finished application is refused
    r = await w.keeper.call(
        "POST",
        f"/api/v1/seals/{w.seal['id']}/hand-out",
        json={"request_id": rid, "holder_id": w.employee.user_id, "expected_return_at": at(4)},
        expect=409,
    )


async def test_photos_then_return_completes_via_outbox(client, app):
    w = await make_world(client, app)
    req = await approve_all(w, await apply(w))
    rid = req["id"]
    custody = await hand_out(w, rid)
    await photo(w.employee, rid, pdf_bytes(1, "扫描"))
    assert (await w.employee.get(f"/api/v1/requests/{rid}"))["status"] == "in_use"
    await w.keeper.post(f"/api/v1/custody/{custody['id']}/return", json={}, expect=200)
    done = await settle(app, w.employee, rid, "completed")
    assert done["finished_at"]
    # the handler is idempotent: delivering the same facts again changes nothing
    async with app.state.runtime.transaction() as session:
        await requests_service.seal_returned(session, done_org(w), uuid.UUID(done["id"]))
    assert (await w.employee.get(f"/api/v1/requests/{rid}"))["status"] == "completed"


def done_org(w):
    return uuid.UUID(w.admin.org_id)


async def test_photo_debt_blocks_new_applications(client, app):
    w = await make_world(client, app)
    req = await approve_all(w, await apply(w))
    await hand_out(w, req["id"])
    # not blocked while the setting is off
    await apply(w, submit=False)
    await w.admin.patch("/api/v1/org", json={"settings": {"block_on_photo_debt": True}})
    r = await w.employee.call("POST", "/api/v1/requests", json=_body(w), expect=409)
    assert r.json()["code"] == "request.photo_debt"
    assert req["number"] in r.json()["title"]
    # other people are not blocked
    boss_doc = await upload(w.boss, pdf_bytes(3, "经理"), "经理.pdf")
    await w.boss.post(
        "/api/v1/requests",
        json=_body(w, document_ids=[boss_doc["id"]], submit=False),
    )
    await photo(w.employee, req["id"])
    await apply(w, submit=False)


def _body(w, **over):
    from tests.requests.conftest import application

    return application(w, **over)


async def test_add_presses_goes_through_approval_again(client, app):
    w = await make_world(client, app)
    req = await approve_all(w, await apply(w))
    rid = req["id"]
    item = req["items"][0]
    # only the applicant, only one at a time
    await w.boss.call(
        "POST",
        f"/api/v1/requests/{rid}/add-presses",
        json={"item_id": item["id"], "presses": 3, "reason": "多签一份"},
        expect=None,
    )
    amended = await w.employee.post(
        f"/api/v1/requests/{rid}/add-presses",
        json={"seal_id": w.seal["id"], "presses": 3, "reason": "客户要求多签一份"},
        expect=200,
    )
    assert amended["status"] == "approved" and amended["items"][0]["presses"] == 2
    assert amended["amendments"][0]["status"] == "pending"
    r = await w.employee.call(
        "POST",
        f"/api/v1/requests/{rid}/add-presses",
        json={"item_id": item["id"], "presses": 1, "reason": "再来"},
        expect=409,
    )
    assert r.json()["code"] == "request.amendment_pending"
    pending = [t for t in amended["tasks"] if t["status"] == "pending"]
    assert [t["assignee_id"] for t in pending] == [w.boss.user_id]
    assert pending[0]["amendment_id"] == amended["amendments"][0]["id"]
    inbox = await w.boss.get("/api/v1/requests", params={"box": "pending"})
    assert [i["id"] for i in inbox["items"]] == [rid]
    await w.boss.post(f"/api/v1/requests/{rid}/approve", json={}, expect=200)
    done = await w.keeper.post(f"/api/v1/requests/{rid}/approve", json={}, expect=200)
    assert done["items"][0]["presses"] == 5
    assert done["amendments"][0]["status"] == "approved" and done["status"] == "approved"
    # a rejected amendment adds nothing
    await w.employee.post(
        f"/api/v1/requests/{rid}/add-presses",
        json={"item_id": item["id"], "presses": 100, "reason": "太多"},
        expect=200,
    )
    no = await w.boss.post(
        f"/api/v1/requests/{rid}/reject", json={"comment": "不需要这么多"}, expect=200
    )
    assert no["items"][0]["presses"] == 5 and no["status"] == "approved"
    assert no["amendments"][1]["status"] == "rejected"
    # not before approval
    fresh = await apply(w)
    r = await w.employee.call(
        "POST",
        f"/api/v1/requests/{fresh['id']}/add-presses",
        json={"seal_id": w.seal["id"], "presses": 1, "reason": "x"},
        expect=409,
    )
    assert r.json()["code"] == "request.invalid_transition"


async def test_end_early_and_change_window(client, app):
    w = await make_world(client, app)
    req = await approve_all(w, await apply(w))
    rid = req["id"]
    # window: until must follow from
    r = await w.employee.call(
        "POST",
        f"/api/v1/requests/{rid}/window",
        json={"valid_from": at(5), "valid_until": at(2)},
        expect=422,
    )
    assert r.json()["code"] == "request.invalid_window"
    # someone without request.manage who is not the applicant: refused
    await w.boss.call(
        "POST",
        f"/api/v1/requests/{rid}/window",
        json={"valid_from": at(0), "valid_until": at(72)},
        expect=403,
    )
    moved = await w.employee.post(
        f"/api/v1/requests/{rid}/window",
        json={"valid_from": at(0), "valid_until": at(72)},
        expect=200,
    )
    assert moved["timeline"][-1]["action"] == "change_window"
    # a manager may change it too
    await w.admin.post(
        f"/api/v1/requests/{rid}/window",
        json={"valid_from": at(0), "valid_until": at(96)},
        expect=200,
    )
    ended = await w.employee.post(
        f"/api/v1/requests/{rid}/end", json={"reason": "合同取消"}, expect=200
    )
    assert ended["status"] == "completed" and ended["end_reason"] == "合同取消"
    r = await w.employee.call(
        "POST", f"/api/v1/requests/{rid}/end", json={"reason": "again"}, expect=409
    )
    assert r.json()["code"] == "request.invalid_transition"


async def test_expiry(client, app):
    w = await make_world(client, app)
    req = await approve_all(w, await apply(w, valid_until=at(2)))
    review = await apply(w, valid_until=at(2))
    clock.advance(timedelta(hours=3))
    async with app.state.runtime.transaction() as session:
        count = await requests_service.expire_due(session, clock.now())
    assert count >= 1
    expired = await w.employee.get(f"/api/v1/requests/{req['id']}")
    assert expired["status"] == "expired"
    assert expired["timeline"][-1]["actor_name"] == "系统"
    # in review is not expired by the sweep
    assert (await w.employee.get(f"/api/v1/requests/{review['id']}"))["status"] == "in_review"
    # idempotent: nothing left to expire for this application
    from sealhub.requests import handlers

    await handlers.periodic(app.state.runtime)
    assert (await w.employee.get(f"/api/v1/requests/{req['id']}"))["status"] == "expired"
    archived = await w.admin.post(f"/api/v1/requests/{req['id']}/archive", expect=200)
    assert archived["status"] == "archived"


async def test_inboxes_search_and_pages(client, app):
    w = await make_world(client, app)
    first = await apply(w, name="采购合同用印")
    second = await apply(w, name="销售合同用印", urgency="urgent")
    draft = await apply(w, name="劳动合同", submit=False)
    await w.boss.post(f"/api/v1/requests/{first['id']}/approve", json={}, expect=200)

    mine = await w.employee.get("/api/v1/requests", params={"box": "mine"})
    assert mine["total"] == 3
    pending = await w.boss.get("/api/v1/requests", params={"box": "pending"})
    assert [i["id"] for i in pending["items"]] == [second["id"]]
    decided = await w.boss.get("/api/v1/requests", params={"box": "decided"})
    assert [i["id"] for i in decided["items"]] == [first["id"]]
    keeper_pending = await w.keeper.get("/api/v1/requests", params={"box": "pending"})
    assert [i["id"] for i in keeper_pending["items"]] == [first["id"]]
    # box=all needs request.read; the employee has none
    await w.employee.call("GET", "/api/v1/requests", params={"box": "all"}, expect=403)
    everything = await w.admin.get("/api/v1/requests", params={"box": "all"})
    assert everything["total"] == 3
    # search by name and number, filters
    hits = await w.admin.get("/api/v1/requests", params={"box": "all", "q": "销售"})
    assert [i["id"] for i in hits["items"]] == [second["id"]]
    hits = await w.admin.get("/api/v1/requests", params={"box": "all", "q": draft["number"]})
    assert [i["id"] for i in hits["items"]] == [draft["id"]]
    urgent = await w.admin.get("/api/v1/requests", params={"box": "all", "urgency": "urgent"})
    assert urgent["total"] == 1
    drafts = await w.admin.get("/api/v1/requests", params={"box": "all", "status": "draft"})
    assert [i["id"] for i in drafts["items"]] == [draft["id"]]
    by_seal = await w.admin.get("/api/v1/requests", params={"box": "all", "seal_id": w.eseal["id"]})
    assert by_seal["total"] == 0
    window = await w.admin.get(
        "/api/v1/requests",
        params={"box": "all", "created_from": at(-1), "created_to": at(1)},
    )
    assert window["total"] == 3
    # paging and sorting
    page1 = await w.employee.get("/api/v1/requests", params={"page_size": 2, "sort": "name"})
    page2 = await w.employee.get(
        "/api/v1/requests", params={"page_size": 2, "page": 2, "sort": "name"}
    )
    names = [i["name"] for i in page1["items"] + page2["items"]]
    assert names == sorted(names) and len(names) == 3 and page1["total"] == 3
    await w.employee.call("GET", "/api/v1/requests", params={"sort": "reason"}, expect=422)
    # an approver in the department sees the department's applications by data scope
    scoped = await w.colleague.get("/api/v1/requests", params={"box": "all"})
    assert scoped["total"] == 3
    assert first["seals"][0]["seal_name"] == "合同专用章"


async def test_presses_counted_at_return_and_over_pressing(client, app):
    w = await make_world(client, app)
    req = await approve_all(w, await apply(w))
    rid = req["id"]
    approved = req["items"][0]["presses"]
    custody = await hand_out(w, rid)
    url = f"/api/v1/custody/{custody['id']}/return"
    bad = await w.keeper.call("POST", url, json={"presses": -1}, expect=422)
    assert bad.json()["code"] == "common.validation"
    back = await w.keeper.post(url, json={"presses": approved + 2, "note": "多盖了"}, expect=200)
    assert back["presses"] == approved + 2
    for _ in range(3):
        await worker.relay_once(app.state.runtime)
    detail = await w.employee.get(f"/api/v1/requests/{rid}")
    assert detail["items"][0]["presses_used"] == approved + 2
    assert "over_pressed" in [e["action"] for e in detail["timeline"]]
    flagged = await w.admin.get("/api/v1/audit", params={"action": "request.over_pressed"})
    assert flagged["total"] == 1 and f"{approved + 2} 次" in flagged["items"][0]["summary"]
    # a redelivered return changes nothing and flags nothing twice
    async with app.state.runtime.transaction() as session:
        await requests_service.seal_returned(session, done_org(w), uuid.UUID(rid))
    again = await w.admin.get("/api/v1/audit", params={"action": "request.over_pressed"})
    assert again["total"] == 1
    assert (await w.employee.get(f"/api/v1/requests/{rid}"))["items"][0]["presses_used"] == (
        approved + 2
    )
    history = await w.keeper.get(f"/api/v1/seals/{w.seal['id']}/custody")
    assert history["items"][0]["presses"] == approved + 2
    assert history["items"][0]["request_number"] == req["number"]
    assert back["request_number"] == req["number"]
