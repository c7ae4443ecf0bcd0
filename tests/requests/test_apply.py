"""Applying, routing, deciding: the approval workflow over HTTP."""

from __future__ import annotations

from tests.builders import add_member, create_unit
from tests.requests.conftest import (
    SUPERVISOR,
    apply,
    at,
    make_flow,
    make_world,
    pdf_bytes,
    two_steps,
    upload,
)


async def test_two_step_approval_records_everything(client, app):
    w = await make_world(client, app)
    assert w.doc["pages"] == 3 and len(w.doc["sha256"]) == 64
    req = await apply(w)
    assert req["number"].startswith("SQ") and req["number"].endswith("-0001")
    assert req["status"] == "in_review"
    assert req["flow"]["id"] == w.flow["id"] and req["flow"]["version"] == 1
    [task] = req["tasks"]
    assert task["assignee_id"] == w.boss.user_id and task["step_index"] == 0
    assert [e["action"] for e in req["timeline"]] == ["create", "submit", "route"]
    assert req["timeline"][1]["to_status"] == "submitted"
    assert req["can"]["withdraw"] and not req["can"]["approve"]

    seen = await w.boss.get(f"/api/v1/requests/{req['id']}")
    assert seen["can"]["approve"] and seen["can"]["transfer"]
    after1 = await w.boss.post(
        f"/api/v1/requests/{req['id']}/approve", json={"comment": "同意"}, expect=200
    )
    assert after1["status"] == "in_review" and after1["current_step"] == 1
    assert after1["tasks"][1]["assignee_id"] == w.keeper.user_id
    done = await w.keeper.post(f"/api/v1/requests/{req['id']}/approve", json={}, expect=200)
    assert done["status"] == "approved"
    assert [t["status"] for t in done["tasks"]] == ["approved", "approved"]
    assert done["timeline"][-1]["action"] == "approve"
    assert done["timeline"][-1]["to_status"] == "approved"
    assert done["items"][0]["seal"]["kind"] == "physical"
    assert done["documents"][0]["id"] == w.doc["id"]
    # the approval went out through the outbox
    audit = await w.admin.get("/api/v1/audit", params={"action": "request.approve"})
    assert audit["total"] == 2
    assert audit["items"][0]["summary"].startswith("同意申请“")
    # the same entries for an English reader, searchable in either language
    english = await w.admin.get(
        "/api/v1/audit",
        params={"action": "request.approve", "q": "Approved application"},
        headers={"Accept-Language": "en"},
    )
    assert english["total"] == 2
    first = english["items"][0]["summary"]
    assert first.startswith(f"Approved application “{req['name']}” ({req['number']}) at step ")
    csv = await w.admin.call(
        "GET", "/api/v1/audit/export.csv", params={"action": "request.approve"}, expect=200
    )
    assert "同意申请“" in csv.text and "Approved application" not in csv.text
    # the export is itself on the trail (written by a GET: its read session commits it)
    exported = await w.admin.get("/api/v1/audit", params={"action": "audit.export"})
    assert exported["total"] == 1
    entry = exported["items"][0]
    assert entry["actor_id"] == w.admin.user_id and entry["summary"] == "导出审计日志 2 条"
    assert entry["after"] == {"filters": {"action": "request.approve"}, "rows": 2}
    # a cell that a spreadsheet would run as a formula is exported as text
    await add_member(w.admin, name="=1+2", roles=["employee"], unit_ids=[w.root])
    csv = await w.admin.call("GET", "/api/v1/audit/export.csv", expect=200)
    assert "'=1+2" in csv.text and ",=1+2" not in csv.text
    # second application of the day: next number
    second = await apply(w, submit=False)
    assert second["number"].endswith("-0002") and second["status"] == "draft"
    # the document can be fetched by the approver (through the application), not by others
    r = await w.boss.call("GET", f"/api/v1/documents/{w.doc['id']}/content", expect=200)
    assert r.content == pdf_bytes() and r.headers["content-type"] == "application/pdf"
    outsider = await add_member(w.admin, name="外人", roles=["employee"], unit_ids=[w.root])
    await outsider.call("GET", f"/api/v1/documents/{w.doc['id']}/content", expect=404)
    await outsider.call("GET", f"/api/v1/requests/{req['id']}", expect=404)


async def test_preview_and_no_flow(client, app):
    w = await make_world(client, app, flow=False)
    body = {"seal_ids": [w.seal["id"]], "presses": 3}
    r = await w.employee.call("POST", "/api/v1/flows/preview", json=body, expect=422)
    assert r.json()["code"] == "request.no_flow"
    r = await w.employee.call("POST", "/api/v1/requests", json=_body(w), expect=422)
    assert r.json()["code"] == "request.no_flow"
    flow = await make_flow(w.admin, two_steps())
    preview = await w.employee.post("/api/v1/flows/preview", json=body, expect=200)
    assert preview["flow"]["id"] == flow["id"]
    assert [s["approvers"] for s in preview["steps"]] == [
        [{"user_id": w.boss.user_id, "real_name": "赵经理"}],
        [{"user_id": w.keeper.user_id, "real_name": "李管章"}],
    ]
    # a higher-priority flow only for many presses
    big = await make_flow(
        w.admin,
        [{"name": "管理员审批", "approver": {"kind": "users", "user_ids": [w.admin.user_id]}}],
        name="大量用印",
        priority=10,
        conditions={"min_presses": 10},
    )
    preview = await w.employee.post("/api/v1/flows/preview", json=body, expect=200)
    assert preview["flow"]["id"] == flow["id"]
    preview = await w.employee.post(
        "/api/v1/flows/preview", json={**body, "presses": 10}, expect=200
    )
    assert preview["flow"]["id"] == big["id"]
    # a flow for electronic seals only does not catch a physical seal
    await w.admin.delete(f"/api/v1/flows/{flow['id']}")
    await w.admin.delete(f"/api/v1/flows/{big['id']}")
    await make_flow(w.admin, two_steps(), conditions={"seal_kinds": ["electronic"]})
    r = await w.employee.call("POST", "/api/v1/flows/preview", json=body, expect=422)
    assert r.json()["code"] == "request.no_flow"
    listed = await w.admin.get("/api/v1/flows", params={"include_inactive": True})
    assert listed["total"] == 3


def _body(w, **over):
    from tests.requests.conftest import application

    return application(w, **over)


async def test_validation_of_an_application(client, app):
    w = await make_world(client, app)
    url = "/api/v1/requests"
    cases = [
        ({"valid_until": at(-2)}, "request.invalid_window"),
        ({"valid_from": at(5), "valid_until": at(4)}, "request.invalid_window"),
        (
            {"items": [{"seal_id": w.seal["id"], "presses": 1, "pages": "2-4"}]},
            "request.invalid_pages",
        ),
        ({"items": [{"seal_id": w.seal["id"], "presses": 1001}]}, "common.validation"),
        ({"items": [{"seal_id": w.seal["id"], "presses": 0}]}, "common.validation"),
        (
            {
                "items": [
                    {
                        "seal_id": w.seal["id"],
                        "presses": 1,
                        "straddle": {"from_page": 1, "to_page": 5},
                    }
                ]
            },
            "request.invalid_pages",
        ),
        (
            {"items": [{"seal_id": w.seal["id"], "presses": 1, "position": {"page": 1}}]},
            "common.validation",
        ),
        (
            {
                "items": [
                    {"seal_id": w.seal["id"], "presses": 1},
                    {"seal_id": w.seal["id"], "presses": 1},
                ]
            },
            "request.duplicate_seal",
        ),
    ]
    for over, code in cases:
        r = await w.employee.call("POST", url, json=_body(w, **over), expect=None)
        assert r.status_code in (409, 422), (over, r.text)
        assert r.json()["code"] == code, (over, r.text)
    # someone else's document
    other_doc = await upload(w.boss, pdf_bytes(2, "其他"), "其他.pdf")
    r = await w.employee.call(
        "POST", url, json=_body(w, document_ids=[other_doc["id"]]), expect=422
    )
    assert r.json()["code"] == "request.invalid_document"
    # a seal of another organisation
    other = await make_world(client, app, flow=False)
    r = await w.employee.call(
        "POST",
        url,
        json=_body(w, items=[{"seal_id": other.seal["id"], "presses": 1}]),
        expect=404,
    )
    # a suspended seal
    await w.admin.post(
        f"/api/v1/seals/{w.eseal['id']}/status",
        json={"status": "suspended", "reason": "检修"},
        expect=200,
    )
    r = await w.employee.call(
        "POST", url, json=_body(w, items=[{"seal_id": w.eseal["id"], "presses": 1}]), expect=422
    )
    assert r.json()["code"] == "request.seal_not_active"
    # a fake PDF is refused at upload
    await upload(w.employee, b"%PDF-1.7 not really", "假.pdf", expect=415)
    # mixed kinds, position keyword and straddle are fine
    await w.admin.post(
        f"/api/v1/seals/{w.eseal['id']}/status",
        json={"status": "active", "reason": "恢复"},
        expect=200,
    )
    ok = await w.employee.post(
        url,
        json=_body(
            w,
            items=[
                {"seal_id": w.seal["id"], "presses": 1, "position": {"keyword": "甲方盖章"}},
                {
                    "seal_id": w.eseal["id"],
                    "presses": 1,
                    "pages": "1-3",
                    "position": {"page": 3, "x": 400, "y": 120},
                    "straddle": {"from_page": 1, "to_page": 3},
                },
            ],
        ),
    )
    assert {i["seal_kind"] for i in ok["items"]} == {"physical", "electronic"}
    assert ok["items"][1]["straddle"] == {"from_page": 1, "to_page": 3}


async def test_idempotent_create(client, app):
    w = await make_world(client, app)
    headers = {"Idempotency-Key": "apply-once-1"}
    body = _body(w)
    first = await w.employee.post("/api/v1/requests", json=body, headers=headers)
    again = await w.employee.call(
        "POST", "/api/v1/requests", json=body, headers=headers, expect=201
    )
    assert again.json()["id"] == first["id"]
    assert again.headers.get("idempotent-replayed") == "true"
    mine = await w.employee.get("/api/v1/requests")
    assert mine["total"] == 1


async def test_any_versus_all_and_add_approver(client, app):
    w = await make_world(client, app, flow=False)
    approver = {"kind": "users", "user_ids": [w.boss.user_id, w.colleague.user_id]}
    await make_flow(
        w.admin,
        [
            {"name": "或签", "mode": "any", "approver": approver},
            {"name": "会签", "mode": "all", "approver": approver},
        ],
    )
    req = await apply(w)
    rid = req["id"]
    assert len(req["tasks"]) == 2
    # any: one approval completes the step, the other task is cancelled
    step2 = await w.colleague.post(f"/api/v1/requests/{rid}/approve", json={}, expect=200)
    assert step2["current_step"] == 1
    assert sorted(t["status"] for t in step2["tasks"][:2]) == ["approved", "cancelled"]
    # all: both must approve; the boss also adds the keeper (加签), who must approve too
    added = await w.boss.post(
        f"/api/v1/requests/{rid}/add-approver",
        json={"user_id": w.keeper.user_id, "comment": "请管章人也看一下"},
        expect=200,
    )
    assert [t["origin"] for t in added["tasks"]][-1] == "added"
    r = await w.boss.post(f"/api/v1/requests/{rid}/approve", json={}, expect=200)
    assert r["status"] == "in_review"
    r = await w.colleague.post(f"/api/v1/requests/{rid}/approve", json={}, expect=200)
    assert r["status"] == "in_review"
    r = await w.keeper.post(f"/api/v1/requests/{rid}/approve", json={}, expect=200)
    assert r["status"] == "approved"
    # already decided
    r = await w.boss.call("POST", f"/api/v1/requests/{rid}/approve", json={}, expect=409)
    assert r.json()["code"] == "request.already_decided"


async def test_add_approver_in_any_step_one_suffices(client, app):
    w = await make_world(client, app, flow=False)
    await make_flow(
        w.admin,
        [{"name": "或签", "approver": {"kind": "users", "user_ids": [w.boss.user_id]}}],
    )
    req = await apply(w)
    rid = req["id"]
    await w.boss.post(
        f"/api/v1/requests/{rid}/add-approver", json={"user_id": w.colleague.user_id}, expect=200
    )
    r = await w.colleague.post(f"/api/v1/requests/{rid}/approve", json={}, expect=200)
    assert r["status"] == "approved"
    assert {t["status"] for t in r["tasks"]} == {"approved", "cancelled"}


async def test_transfer_reject_withdraw(client, app):
    w = await make_world(client, app)
    req = await apply(w)
    rid = req["id"]
    moved = await w.boss.post(
        f"/api/v1/requests/{rid}/transfer",
        json={"to_user_id": w.colleague.user_id, "comment": "出差，请代审"},
        expect=200,
    )
    assert [t["status"] for t in moved["tasks"]] == ["transferred", "pending"]
    assert moved["tasks"][1]["assignee_id"] == w.colleague.user_id
    # the original assignee no longer decides (but still sees the application)
    await w.boss.get(f"/api/v1/requests/{rid}")
    r = await w.boss.call("POST", f"/api/v1/requests/{rid}/approve", json={}, expect=403)
    assert r.json()["code"] == "request.not_assignee"
    # reject needs a comment
    await w.colleague.call("POST", f"/api/v1/requests/{rid}/reject", json={}, expect=422)
    rejected = await w.colleague.post(
        f"/api/v1/requests/{rid}/reject", json={"comment": "用途不清"}, expect=200
    )
    assert rejected["status"] == "rejected"
    r = await w.colleague.call("POST", f"/api/v1/requests/{rid}/approve", json={}, expect=409)
    assert r.json()["code"] == "request.already_decided"
    r = await w.employee.call("POST", f"/api/v1/requests/{rid}/withdraw", expect=409)
    assert r.json()["code"] == "request.invalid_transition"

    # withdraw while in review cancels the tasks
    req2 = await apply(w)
    gone = await w.employee.post(f"/api/v1/requests/{req2['id']}/withdraw", expect=200)
    assert gone["status"] == "withdrawn"
    assert {t["status"] for t in gone["tasks"]} == {"cancelled"}
    r = await w.boss.call("POST", f"/api/v1/requests/{req2['id']}/approve", json={}, expect=409)
    assert r.json()["code"] == "request.invalid_transition"
    # only the applicant withdraws
    req3 = await apply(w)
    r = await w.boss.call("POST", f"/api/v1/requests/{req3['id']}/withdraw", expect=403)
    # illegal transitions: submit twice, archive while in review, end before approval
    r = await w.employee.call("POST", f"/api/v1/requests/{req3['id']}/submit", expect=409)
    assert r.json()["code"] == "request.invalid_transition"
    r = await w.admin.call("POST", f"/api/v1/requests/{req3['id']}/archive", expect=409)
    assert r.json()["code"] == "request.invalid_transition"
    r = await w.employee.call(
        "POST", f"/api/v1/requests/{req3['id']}/end", json={"reason": "不用了"}, expect=409
    )
    assert r.json()["code"] == "request.invalid_transition"


async def test_separation_of_duties(client, app):
    w = await make_world(client, app, flow=False)
    # the boss is the supervisor: when the boss applies, the step resolves to nobody
    await make_flow(w.admin, two_steps())
    boss_doc = await upload(w.boss, pdf_bytes(1, "经理"), "经理.pdf")
    r = await w.boss.call(
        "POST",
        "/api/v1/requests",
        json=_body(
            w, document_ids=[boss_doc["id"]], items=[{"seal_id": w.seal["id"], "presses": 1}]
        ),
        expect=422,
    )
    assert r.json()["code"] == "request.no_approvers"
    assert "部门负责人审批" in r.json()["title"]
    # a named-users step listing the applicant skips them
    await make_flow(
        w.admin,
        [
            {
                "name": "双人",
                "approver": {"kind": "users", "user_ids": [w.boss.user_id, w.colleague.user_id]},
            }
        ],
        priority=5,
    )
    mine = await w.boss.post(
        "/api/v1/requests",
        json=_body(
            w, document_ids=[boss_doc["id"]], items=[{"seal_id": w.seal["id"], "presses": 1}]
        ),
    )
    assert [t["assignee_id"] for t in mine["tasks"]] == [w.colleague.user_id]
    rid = mine["id"]
    # the applicant cannot approve, nor be transferred to or added
    r = await w.boss.call("POST", f"/api/v1/requests/{rid}/approve", json={}, expect=409)
    assert r.json()["code"] == "request.self_approval"
    r = await w.colleague.call(
        "POST", f"/api/v1/requests/{rid}/transfer", json={"to_user_id": w.boss.user_id}, expect=409
    )
    assert r.json()["code"] == "request.self_approval"
    r = await w.colleague.call(
        "POST", f"/api/v1/requests/{rid}/add-approver", json={"user_id": w.boss.user_id}, expect=409
    )
    assert r.json()["code"] == "request.self_approval"
    # an admin (all permissions) without a task cannot decide either
    r = await w.admin.call("POST", f"/api/v1/requests/{rid}/approve", json={}, expect=403)
    assert r.json()["code"] == "request.not_assignee"
    # someone who cannot even read it gets 404
    r = await w.employee.call("POST", f"/api/v1/requests/{rid}/approve", json={}, expect=404)


async def test_flow_versions_keep_running_snapshots(client, app):
    w = await make_world(client, app)
    running = await apply(w)
    assert running["flow"]["version"] == 1
    v2 = await w.admin.put(
        f"/api/v1/flows/{w.flow['id']}",
        json={
            "name": "用章审批（简化）",
            "steps": [{"name": "管章人审批", "approver": {"kind": "seal_keeper"}}],
        },
    )
    assert (
        v2["id"] == w.flow["id"] and v2["version"] == 2 and v2["version_id"] != w.flow["version_id"]
    )
    got = await w.admin.get(f"/api/v1/flows/{w.flow['id']}")
    assert got["version"] == 2 and len(got["steps"]) == 1
    # the running application still follows version 1: supervisor, then keeper
    await w.boss.post(f"/api/v1/requests/{running['id']}/approve", json={}, expect=200)
    detail = await w.employee.get(f"/api/v1/requests/{running['id']}")
    assert detail["flow"]["version"] == 1 and detail["tasks"][-1]["assignee_id"] == w.keeper.user_id
    fresh = await apply(w)
    assert fresh["flow"]["version"] == 2
    assert [t["assignee_id"] for t in fresh["tasks"]] == [w.keeper.user_id]
    assert (await approve_keeper_only(w, fresh))["status"] == "approved"
    # unknown role in a flow is refused
    r = await w.admin.call(
        "POST",
        "/api/v1/flows",
        json={
            "name": "坏",
            "steps": [{"name": "x", "approver": {"kind": "role", "role_id": w.seal["id"]}}],
        },
        expect=422,
    )
    assert r.json()["code"] == "flow.invalid"
    await w.employee.call("POST", "/api/v1/flows", json={"name": "x", "steps": []}, expect=403)


async def approve_keeper_only(w, req):
    return await w.keeper.post(f"/api/v1/requests/{req['id']}/approve", json={}, expect=200)


async def test_role_in_chain_flow(client, app):
    w = await make_world(client, app, flow=False)
    roles = await w.admin.get("/api/v1/roles", params={"page_size": 200})
    approver_role = next(r["id"] for r in roles["items"] if r["builtin_key"] == "approver")
    await make_flow(
        w.admin,
        [
            {
                "name": "部门审批人会签",
                "mode": "all",
                "approver": {"kind": "role_in_chain", "role_id": approver_role},
            }
        ],
    )
    req = await apply(w)
    assert sorted(t["assignee_id"] for t in req["tasks"]) == sorted(
        [w.boss.user_id, w.colleague.user_id]
    )
    assert SUPERVISOR  # the supervisor title is not involved here


async def test_supervisor_found_up_the_chain_and_unit_conditions(client, app):
    w = await make_world(client, app, flow=False)
    team = (await create_unit(w.admin, "华东组", parent_id=w.dept))["id"]
    junior = await add_member(w.admin, name="孙新人", roles=["employee"], unit_ids=[team])
    # a flow for the department (and below) outranks the general one
    await make_flow(w.admin, two_steps(), name="通用")
    dept_flow = await make_flow(
        w.admin,
        [{"name": "部门负责人审批", "approver": {"kind": "unit_supervisor", "title": SUPERVISOR}}],
        name="销售部专用",
        priority=3,
        conditions={"unit_ids": [w.dept]},
    )
    preview = await junior.post(
        "/api/v1/flows/preview", json={"seal_ids": [w.seal["id"]], "presses": 1}, expect=200
    )
    assert preview["flow"]["id"] == dept_flow["id"]
    # the team has no supervisor: the nearest one up the chain (the department's) approves
    assert preview["steps"][0]["approvers"][0]["user_id"] == w.boss.user_id
    # someone in the root unit gets the general flow
    preview = await w.keeper.post(
        "/api/v1/flows/preview", json={"seal_ids": [w.seal["id"]], "presses": 1}, expect=200
    )
    assert preview["flow"]["name"] == "通用"
