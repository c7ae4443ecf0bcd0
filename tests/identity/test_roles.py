"""The permission catalogue and roles."""

from __future__ import annotations

from tests.builders import add_member, register_org, role_ids


async def test_catalogue_for_any_member(client, app):
    admin = await register_org(client, app)
    employee = await add_member(admin, name="员工", roles=["employee"])
    cat = await employee.get("/api/v1/permissions")
    groups = {g["key"]: g for g in cat["groups"]}
    assert groups["seal"]["zh"] == "印章管理"
    keys = {p["key"] for g in cat["groups"] for p in g["permissions"]}
    assert {"org.read", "integration.manage", "request.manage"} <= keys
    assert [s["key"] for s in cat["data_scopes"]] == ["self", "unit", "unit_and_below", "org"]
    assert all(s["zh"] and s["en"] for s in cat["data_scopes"])
    client.cookies.clear()  # sign-ins above left a session cookie
    assert (await client.get("/api/v1/permissions")).status_code == 401


async def test_builtin_roles_present_and_editable(client, app):
    admin = await register_org(client, app, real_name="建组人")
    page = await admin.get("/api/v1/roles", params={"page_size": 50})
    by_key = {r["builtin_key"]: r for r in page["items"]}
    assert set(by_key) == {"admin", "employee", "approver", "keeper", "auditor", "it"}
    assert page["total"] == 6
    assert by_key["admin"]["member_count"] == 1
    assert by_key["admin"]["created_by"]["real_name"] == "建组人"
    assert by_key["approver"]["data_scope"] == "unit_and_below"
    edited = await admin.patch(
        f"/api/v1/roles/{by_key['employee']['id']}",
        json={"name": "员工", "permissions": ["org.read", "request.create"], "data_scope": "unit"},
    )
    assert edited["builtin_key"] == "employee" and edited["name"] == "员工"
    assert edited["permissions"] == ["org.read", "request.create"]
    assert edited["updated_by"]["id"] == admin.user_id
    r = await admin.call("DELETE", f"/api/v1/roles/{by_key['auditor']['id']}")
    assert r.status_code == 409 and r.json()["code"] == "role.builtin"


async def test_role_crud_paging_and_errors(client, app):
    admin = await register_org(client, app)
    created = await admin.post(
        "/api/v1/roles",
        json={
            "name": "印章专员",
            "description": "只看印章",
            "permissions": ["seal.read", "seal.manage"],
            "data_scope": "org",
        },
    )
    assert created["builtin_key"] is None and created["member_count"] == 0
    assert created["created_by"]["id"] == admin.user_id
    r = await admin.call("POST", "/api/v1/roles", json={"name": "印章专员"})
    assert r.status_code == 409 and r.json()["code"] == "role.name_taken"
    r = await admin.call("POST", "/api/v1/roles", json={"name": "坏", "permissions": ["seal.fly"]})
    assert r.status_code == 422 and r.json()["code"] == "role.unknown_permission"
    assert "seal.fly" in r.json()["title"]
    r = await admin.call("PATCH", f"/api/v1/roles/{created['id']}", json={"permissions": ["nope"]})
    assert r.status_code == 422 and r.json()["code"] == "role.unknown_permission"
    r = await admin.call("POST", "/api/v1/roles", json={"name": "坏", "data_scope": "galaxy"})
    assert r.status_code == 422

    page = await admin.get("/api/v1/roles", params={"q": "印章", "sort": "name"})
    assert [x["name"] for x in page["items"]] == ["印章专员"]
    page = await admin.get("/api/v1/roles", params={"sort": "-created_at", "page_size": 2})
    assert page["total"] == 7 and len(page["items"]) == 2
    assert page["items"][0]["id"] == created["id"]
    r = await admin.call("GET", "/api/v1/roles", params={"sort": "colour"})
    assert r.status_code == 422

    # in use: not deletable
    await add_member(admin, name="专员", roles=["employee"])
    members = await admin.get("/api/v1/members", params={"q": "专员"})
    member_id = members["items"][0]["id"]
    await admin.patch(f"/api/v1/members/{member_id}", json={"role_ids": [created["id"]]})
    r = await admin.call("DELETE", f"/api/v1/roles/{created['id']}")
    assert r.status_code == 409 and r.json()["code"] == "role.in_use"
    employee_id = (await role_ids(admin, ["employee"]))[0]
    await admin.patch(f"/api/v1/members/{member_id}", json={"role_ids": [employee_id]})

    other = await register_org(client, app)
    await other.get(f"/api/v1/roles/{created['id']}", expect=404)
    await other.patch(f"/api/v1/roles/{created['id']}", json={"name": "x"}, expect=404)
    await other.delete(f"/api/v1/roles/{created['id']}", expect=404)

    await admin.delete(f"/api/v1/roles/{created['id']}")
    await admin.get(f"/api/v1/roles/{created['id']}", expect=404)


async def test_role_change_takes_effect_at_once(client, app):
    admin = await register_org(client, app)
    employee = await add_member(admin, name="员工", roles=["employee"])
    assert (await employee.call("GET", "/api/v1/members")).status_code == 403
    role_id = (await role_ids(admin, ["employee"]))[0]
    role = await admin.get(f"/api/v1/roles/{role_id}")
    await admin.patch(
        f"/api/v1/roles/{role_id}", json={"permissions": [*role["permissions"], "member.read"]}
    )
    assert (await employee.call("GET", "/api/v1/members")).status_code == 200
    # writes need role.manage
    r = await employee.call("POST", "/api/v1/roles", json={"name": "x"})
    assert r.status_code == 403


async def test_admin_role_cannot_lose_admin_powers(client, app):
    admin = await register_org(client, app)
    admin_role = (await role_ids(admin, ["admin"]))[0]
    r = await admin.call("PATCH", f"/api/v1/roles/{admin_role}", json={"permissions": ["org.read"]})
    assert r.status_code == 409 and r.json()["code"] == "member.last_admin"
    assert "role.manage" in (await admin.get("/api/v1/auth/me"))["permissions"]


async def test_nobody_grants_more_than_they_hold(client, app):
    from tests.builders import add_member, register_org, role_ids

    admin = await register_org(client, app)
    hr = await admin.post(
        "/api/v1/roles",
        json={
            "name": "人事专员",
            "permissions": ["member.read", "member.manage", "role.read", "role.manage"],
            "data_scope": "org",
        },
    )
    clerk = await add_member(admin, name="人事", roles=[])
    await admin.patch(f"/api/v1/members/{clerk.member_id}", json={"role_ids": [hr["id"]]})
    from tests.builders import login

    clerk = await login(client, clerk.phone)
    # a role with a permission the clerk lacks
    r = await clerk.call(
        "POST", "/api/v1/roles", json={"name": "越权", "permissions": ["seal.manage"]}
    )
    assert r.status_code == 403 and r.json()["code"] == "role.exceeds_own"
    # giving themselves (or anyone) the admin role
    [admin_role] = await role_ids(admin, ["admin"])
    r = await clerk.call(
        "PATCH", f"/api/v1/members/{clerk.member_id}", json={"role_ids": [admin_role]}
    )
    assert r.status_code == 403 and r.json()["code"] == "role.exceeds_own"
    r = await clerk.call(
        "POST",
        "/api/v1/members",
        json={"real_name": "新管理", "phone": "13912345678", "role_ids": [admin_role]},
    )
    assert r.status_code == 403
    # within their own powers it works
    ok = await clerk.post(
        "/api/v1/roles",
        json={"name": "只读人事", "permissions": ["member.read"], "data_scope": "unit"},
    )
    assert ok["permissions"] == ["member.read"]
    me = await clerk.get("/api/v1/auth/me")
    assert "seal.manage" not in me["permissions"]
