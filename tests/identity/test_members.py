"""Members: create, edit, status, delete, password reset, import, data scope."""

from __future__ import annotations

import csv
import io

from openpyxl import Workbook, load_workbook

from tests.builders import (
    PASSWORD,
    add_member,
    create_unit,
    login,
    next_phone,
    register_org,
    role_ids,
    sms_code,
)


async def test_member_crud(client, app):
    admin = await register_org(client, app)
    dept = await create_unit(admin, "市场部")
    dept2 = await create_unit(admin, "公关部")
    approver, keeper = await role_ids(admin, ["approver", "keeper"])
    phone = next_phone()
    created = await admin.post(
        "/api/v1/members",
        json={
            "real_name": "赵六",
            "phone": phone,
            "role_ids": [approver, keeper],
            "unit_ids": [dept2["id"], dept["id"]],
        },
    )
    temp = created["temporary_password"]
    assert temp and created["status"] == "active" and created["phone"] == phone
    assert [u["id"] for u in created["units"]] == [dept2["id"], dept["id"]]
    assert created["primary_unit_id"] == dept2["id"]
    assert {r["builtin_key"] for r in created["roles"]} == {"approver", "keeper"}
    member = await login(client, phone, temp)
    assert member.member_id == created["id"]

    r = await admin.call("POST", "/api/v1/members", json={"real_name": "又来", "phone": phone})
    assert r.status_code == 409 and r.json()["code"] == "member.exists"
    r = await admin.call(
        "POST", "/api/v1/members", json={"real_name": "坏", "phone": next_phone(), "password": "x"}
    )
    assert r.status_code == 422 and r.json()["code"] == "auth.weak_password"
    r = await admin.call("POST", "/api/v1/members", json={"real_name": "坏", "phone": "123"})
    assert r.status_code == 422 and r.json()["code"] == "auth.invalid_phone"

    edited = await admin.patch(
        f"/api/v1/members/{created['id']}",
        json={"real_name": "赵六六", "unit_ids": [dept["id"]]},
    )
    assert edited["real_name"] == "赵六六" and edited["primary_unit_id"] == dept["id"]
    assert len(edited["roles"]) == 2
    got = await admin.get(f"/api/v1/members/{created['id']}")
    assert got["units"] == [{"id": dept["id"], "name": "市场部", "code": dept["code"]}]

    # list: search, filters, sort
    page = await admin.get("/api/v1/members", params={"q": "赵六"})
    assert [m["id"] for m in page["items"]] == [created["id"]]
    page = await admin.get("/api/v1/members", params={"q": phone[-8:]})
    assert page["total"] == 1
    page = await admin.get("/api/v1/members", params={"unit_id": dept["id"]})
    assert page["total"] == 1
    [root] = [u for u in await admin.get("/api/v1/org/units") if u["parent_id"] is None]
    page = await admin.get("/api/v1/members", params={"unit_id": root["id"]})
    assert page["total"] == 1  # just the admin
    page = await admin.get("/api/v1/members", params={"unit_id": root["id"], "below": True})
    assert page["total"] == 2
    page = await admin.get("/api/v1/members", params={"role_id": keeper})
    assert page["total"] == 1
    page = await admin.get("/api/v1/members", params={"sort": "real_name"})
    assert [m["real_name"] for m in page["items"]] == sorted(m["real_name"] for m in page["items"])

    # disable / enable
    out = await admin.post(f"/api/v1/members/{created['id']}/disable", expect=200)
    assert out["status"] == "disabled"
    r = await client.get("/api/v1/auth/me", headers=member.headers)
    assert r.json()["member"] is None  # signed in but no active organisation
    assert (await member.call("GET", "/api/v1/org")).status_code == 403
    page = await admin.get("/api/v1/members", params={"status": "disabled"})
    assert [m["id"] for m in page["items"]] == [created["id"]]
    r = await admin.call("POST", f"/api/v1/members/{created['id']}/disable")
    assert r.status_code == 409 and r.json()["code"] == "member.invalid_transition"
    await admin.post(f"/api/v1/members/{created['id']}/enable", expect=200)
    assert (await member.call("GET", "/api/v1/org")).status_code == 200

    # other tenants see 404
    other = await register_org(client, app)
    await other.get(f"/api/v1/members/{created['id']}", expect=404)
    await other.patch(f"/api/v1/members/{created['id']}", json={"real_name": "x"}, expect=404)
    await other.post(f"/api/v1/members/{created['id']}/disable", expect=404)
    await other.post(f"/api/v1/members/{created['id']}/reset-password", expect=404)
    await other.delete(f"/api/v1/members/{created['id']}", expect=404)
    r = await admin.call(
        "PATCH",
        f"/api/v1/members/{created['id']}",
        json={"unit_ids": [(await other.get("/api/v1/org/units"))[0]["id"]]},
    )
    assert r.status_code == 404

    # soft delete revokes access
    await admin.delete(f"/api/v1/members/{created['id']}")
    assert (await client.get("/api/v1/auth/me", headers=member.headers)).status_code == 401
    await admin.get(f"/api/v1/members/{created['id']}", expect=404)
    assert (await admin.get("/api/v1/members", params={"q": "赵六"}))["total"] == 0
    # added back later: the person has used the account, so they are invited and accept
    back = await admin.post(
        "/api/v1/members", json={"real_name": "赵六", "phone": phone}, expect=202
    )
    assert "temporary_password" not in back
    assert [r["builtin_key"] for r in back["roles"]] == ["employee"]
    person = await login(client, phone, temp)
    assert person.member_id == ""
    accepted = await person.post(f"/api/v1/me/invitations/{back['id']}/accept", expect=200)
    assert (await login(client, phone, temp)).member_id == accepted["membership_id"]


async def test_last_admin_guard(client, app):
    admin = await register_org(client, app)
    employee_role = (await role_ids(admin, ["employee"]))[0]
    for method, url, body in (
        ("POST", f"/api/v1/members/{admin.member_id}/disable", None),
        ("DELETE", f"/api/v1/members/{admin.member_id}", None),
        ("PATCH", f"/api/v1/members/{admin.member_id}", {"role_ids": [employee_role]}),
    ):
        r = await admin.call(method, url, json=body)
        assert r.status_code == 409 and r.json()["code"] == "member.last_admin", (method, url)
    # with a second admin, the first may step down
    second = await add_member(admin, name="副管理", roles=["admin"])
    await admin.patch(f"/api/v1/members/{admin.member_id}", json={"role_ids": [employee_role]})
    r = await second.call("POST", f"/api/v1/members/{second.member_id}/disable")
    assert r.status_code == 409 and r.json()["code"] == "member.last_admin"


async def test_admin_password_reset(client, app):
    admin = await register_org(client, app)
    phone = next_phone()
    created = await admin.post("/api/v1/members", json={"real_name": "忘密码", "phone": phone})
    # never signed in, opened by this organisation: a new first password
    out = await admin.post(f"/api/v1/members/{created['id']}/reset-password", expect=200)
    temp = out["temporary_password"]
    r = await client.post(
        "/api/v1/auth/login", json={"phone": phone, "password": created["temporary_password"]}
    )
    assert r.status_code == 401
    member = await login(client, phone, temp)
    assert member.member_id == created["id"]
    # used since: only the owner, by a code texted to them, sets a password
    out = await admin.post(f"/api/v1/members/{member.member_id}/reset-password", expect=200)
    assert out == {"temporary_password": None, "code_sent": True}
    assert (await client.get("/api/v1/auth/me", headers=member.headers)).status_code == 200
    assert sms_code(app, phone)
    employee = await add_member(admin, name="员工", roles=["employee"])
    r = await employee.call("POST", f"/api/v1/members/{member.member_id}/reset-password")
    assert r.status_code == 403


async def test_join_request_approve(client, app):
    admin = await register_org(client, app)
    phone = next_phone()
    await client.post("/api/v1/auth/sms-codes", json={"phone": phone, "purpose": "register"})
    r = await client.post(
        "/api/v1/auth/register",
        json={
            "phone": phone,
            "code": sms_code(app, phone),
            "password": PASSWORD,
            "real_name": "申请人",
            "org_code": admin.extra["org_code"],
        },
    )
    assert r.status_code == 201 and r.json()["status"] == "pending"
    page = await admin.get("/api/v1/members", params={"status": "pending"})
    [pending] = page["items"]
    assert pending["real_name"] == "申请人"
    out = await admin.post(f"/api/v1/members/{pending['id']}/approve", expect=200)
    assert out["status"] == "active"
    joined = await login(client, phone)
    assert joined.member_id == pending["id"]
    r = await admin.call("POST", f"/api/v1/members/{pending['id']}/approve")
    assert r.status_code == 409


async def test_person_in_two_orgs_switches(client, app):
    first = await register_org(client, app, org_name="甲公司")
    second = await register_org(client, app, org_name="乙公司")
    person = await add_member(first, name="两边跑", roles=["employee"])
    invited = await second.post(
        "/api/v1/members", json={"real_name": "两边跑乙", "phone": person.phone}, expect=202
    )
    # existing account: password unchanged, nothing granted until the owner accepts
    assert (await person.get("/api/v1/auth/me"))["memberships"][0]["org_name"] == "甲公司"
    accepted = await person.post(f"/api/v1/me/invitations/{invited['id']}/accept", expect=200)
    added = {"id": accepted["membership_id"]}
    me = await person.get("/api/v1/auth/me")
    assert {m["org_name"] for m in me["memberships"]} == {"甲公司", "乙公司"}
    assert me["organization"]["id"] == first.org_id
    await person.post("/api/v1/auth/switch-org", json={"org_id": second.org_id}, expect=204)
    me = await person.get("/api/v1/auth/me")
    assert me["organization"]["id"] == second.org_id and me["member"]["real_name"] == "两边跑乙"
    # removed from the second org: that session ends, the first org still works
    await second.delete(f"/api/v1/members/{added['id']}")
    assert (await client.get("/api/v1/auth/me", headers=person.headers)).status_code == 401
    again = await login(client, person.phone)
    assert again.org_id == first.org_id


def _xlsx(rows: list[list[object]]) -> bytes:
    wb = Workbook()
    ws = wb.active
    for row in rows:
        ws.append(row)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


async def test_import_template_and_xlsx_import(client, app):
    admin = await register_org(client, app)
    dept = await create_unit(admin, "仓储部", code="CC-01")
    r = await admin.call("GET", "/api/v1/members/import-template", expect=200)
    wb = load_workbook(io.BytesIO(r.content))
    assert [c.value for c in wb.worksheets[0][1]] == ["姓名", "手机号", "角色", "部门代码"]
    existing = await add_member(admin, name="已有", roles=["employee"])
    good1, good2 = next_phone(), next_phone()
    data = _xlsx(
        [
            ["姓名", "手机号", "角色", "部门代码"],
            ["甲一", int(good1.removeprefix("+86")), "审批人、管章人", "CC-01"],
            ["乙二", good2, "", ""],
            ["丙三", "12345", "", ""],
            ["丁四", next_phone(), "飞行员", ""],
            ["戊五", next_phone(), "", "NOPE"],
            ["己六", existing.phone, "", ""],
            ["", next_phone(), "", ""],
            ["庚七", good1, "", ""],
        ]
    )
    r = await admin.call(
        "POST",
        "/api/v1/members/import",
        files={"file": ("m.xlsx", data, "application/octet-stream")},
    )
    assert r.status_code == 200, r.text
    out = r.json()
    assert [c["row"] for c in out["created"]] == [2, 3]
    assert all(c["temporary_password"] for c in out["created"])
    assert [e["row"] for e in out["errors"]] == [4, 5, 6, 7, 8, 9]
    assert "飞行员" in out["errors"][1]["message"]
    assert "NOPE" in out["errors"][2]["message"]
    page = await admin.get("/api/v1/members", params={"q": "甲一"})
    [m] = page["items"]
    assert {r["builtin_key"] for r in m["roles"]} == {"approver", "keeper"}
    assert m["units"][0]["id"] == dept["id"]
    signed = await login(client, good2, out["created"][1]["temporary_password"])
    assert signed.org_id == admin.org_id


async def test_csv_import_with_bad_row(client, app):
    admin = await register_org(client, app)
    ok = next_phone()
    buf = io.StringIO()
    w = csv.writer(buf)
    w.writerow(["姓名", "手机号", "角色", "部门代码"])
    w.writerow(["好人", ok, "employee", ""])
    w.writerow(["坏号", "abc", "", ""])
    for encoding in ("utf-8-sig",):
        r = await admin.call(
            "POST",
            "/api/v1/members/import",
            files={"file": ("m.csv", buf.getvalue().encode(encoding), "text/csv")},
        )
        assert r.status_code == 200, r.text
        out = r.json()
        assert [c["row"] for c in out["created"]] == [2]
        assert out["errors"] == [{"row": 3, "message": "手机号码格式不正确"}]
    # GB18030 (Excel's CSV on Chinese Windows) works too
    text = "姓名,手机号\n国标," + next_phone() + "\n"
    r = await admin.call(
        "POST", "/api/v1/members/import", files={"file": ("g.csv", text.encode("gb18030"))}
    )
    assert r.status_code == 200 and len(r.json()["created"]) == 1
    r = await admin.call(
        "POST", "/api/v1/members/import", files={"file": ("x.csv", b"foo,bar\n1,2\n")}
    )
    assert r.status_code == 422 and r.json()["code"] == "member.import_unreadable"


async def test_member_list_data_scope(client, app):
    admin = await register_org(client, app)
    east = await create_unit(admin, "华东")
    east_sales = await create_unit(admin, "华东销售", parent_id=east["id"])
    west = await create_unit(admin, "华西")
    a = await add_member(admin, name="东一", roles=["employee"], unit_ids=[east["id"]])
    b = await add_member(admin, name="东销", roles=["employee"], unit_ids=[east_sales["id"]])
    c = await add_member(admin, name="西一", roles=["employee"], unit_ids=[west["id"]])

    unit_role = await admin.post(
        "/api/v1/roles",
        json={"name": "部门查看", "permissions": ["member.read"], "data_scope": "unit"},
    )
    self_role = await admin.post(
        "/api/v1/roles",
        json={"name": "仅本人", "permissions": ["member.read"], "data_scope": "self"},
    )
    reader = await add_member(admin, name="东主管", roles=["employee"], unit_ids=[east["id"]])
    await admin.patch(f"/api/v1/members/{reader.member_id}", json={"role_ids": [unit_role["id"]]})
    seen = {m["id"] for m in (await reader.get("/api/v1/members"))["items"]}
    assert seen == {a.member_id, reader.member_id}
    await reader.get(f"/api/v1/members/{c.member_id}", expect=404)

    approver = await add_member(admin, name="东审批", roles=["approver"], unit_ids=[east["id"]])
    seen = {m["id"] for m in (await approver.get("/api/v1/members"))["items"]}
    assert seen == {a.member_id, b.member_id, reader.member_id, approver.member_id}

    await admin.patch(f"/api/v1/members/{reader.member_id}", json={"role_ids": [self_role["id"]]})
    seen = {m["id"] for m in (await reader.get("/api/v1/members"))["items"]}
    assert seen == {reader.member_id}

    keeper = await add_member(admin, name="管章", roles=["keeper"], unit_ids=[west["id"]])
    assert (await keeper.get("/api/v1/members"))["total"] == 7
    employee = await add_member(admin, name="员工", roles=["employee"])
    assert (await employee.call("GET", "/api/v1/members")).status_code == 403
