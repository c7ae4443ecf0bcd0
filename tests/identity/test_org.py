"""The organisation, its unit tree, supervisors and logos."""

from __future__ import annotations

import io
import uuid

from PIL import Image

from tests.builders import add_member, create_unit, register_org


def png(width: int, height: int, *, noise: bool = False) -> bytes:
    img = Image.new("RGB", (width, height), (200, 30, 30))
    if noise:
        img = Image.frombytes(
            "RGB", (width, height), uuid.uuid4().bytes * (width * height * 3 // 16 + 1)
        )
    buf = io.BytesIO()
    img.save(buf, format="PNG")
    return buf.getvalue()


async def test_org_get_and_patch_settings(client, app):
    admin = await register_org(client, app, org_name="设置公司")
    org = await admin.get("/api/v1/org")
    assert org["name"] == "设置公司" and org["settings"] == {}
    out = await admin.patch("/api/v1/org", json={"settings": {"block_on_photo_debt": True}})
    assert out["settings"] == {"block_on_photo_debt": True}
    out = await admin.patch("/api/v1/org", json={"name": "新名字"})
    assert out["name"] == "新名字" and out["settings"] == {"block_on_photo_debt": True}
    out = await admin.patch("/api/v1/org", json={"settings": {"block_on_photo_debt": None}})
    assert out["settings"] == {}
    employee = await add_member(admin, name="员工", roles=["employee"])
    assert (await employee.get("/api/v1/org"))["name"] == "新名字"
    r = await employee.call("PATCH", "/api/v1/org", json={"name": "xx"})
    assert r.status_code == 403


async def test_unit_tree_crud(client, app):
    admin = await register_org(client, app)
    units = await admin.get("/api/v1/org/units")
    assert len(units) == 1
    root = units[0]
    assert root["parent_id"] is None and root["kind"] == "company"
    branch = await create_unit(admin, "华东分公司", code="YXXW(001)")
    assert branch["parent_id"] == root["id"]
    assert branch["path"] == f"/{root['id']}/{branch['id']}/"
    dept = await admin.post(
        "/api/v1/org/units",
        json={
            "parent_id": branch["id"],
            "name": "财务部",
            "code": "YXXW(001-1)",
            "sort": 2,
            "description": "管钱",
        },
    )
    assert dept["path"] == f"{branch['path']}{dept['id']}/"
    auto = await create_unit(admin, "行政部", parent_id=branch["id"])
    assert auto["code"].startswith("YXXW(001)-")
    # code unique per org
    r = await admin.call("POST", "/api/v1/org/units", json={"name": "重复", "code": "YXXW(001-1)"})
    assert r.status_code == 409 and r.json()["code"] == "org.unit_code_taken"
    # another org may reuse the code
    other = await register_org(client, app)
    await create_unit(other, "别家", code="YXXW(001-1)")

    edited = await admin.patch(
        f"/api/v1/org/units/{dept['id']}", json={"name": "财务中心", "sort": -1}
    )
    assert edited["name"] == "财务中心" and edited["sort"] == -1
    names = [u["name"] for u in await admin.get("/api/v1/org/units")]
    assert names.index("财务中心") < names.index("华东分公司")
    got = await admin.get(f"/api/v1/org/units/{dept['id']}")
    assert got["description"] == "管钱" and got["created_at"]

    # cross-tenant ids are 404
    await other.get(f"/api/v1/org/units/{dept['id']}", expect=404)
    await other.patch(f"/api/v1/org/units/{dept['id']}", json={"name": "x"}, expect=404)
    await other.delete(f"/api/v1/org/units/{dept['id']}", expect=404)

    # delete: not while it has children; root never
    r = await admin.call("DELETE", f"/api/v1/org/units/{branch['id']}")
    assert r.status_code == 409 and r.json()["code"] == "org.unit_not_empty"
    r = await admin.call("DELETE", f"/api/v1/org/units/{root['id']}")
    assert r.status_code == 409 and r.json()["code"] == "org.root_immutable"
    await admin.delete(f"/api/v1/org/units/{dept['id']}")
    await admin.delete(f"/api/v1/org/units/{auto['id']}")
    await admin.delete(f"/api/v1/org/units/{branch['id']}")
    assert len(await admin.get("/api/v1/org/units")) == 1


async def test_unit_with_members_cannot_be_deleted(client, app):
    admin = await register_org(client, app)
    dept = await create_unit(admin, "销售部")
    member = await add_member(admin, name="小李", roles=["employee"], unit_ids=[dept["id"]])
    r = await admin.call("DELETE", f"/api/v1/org/units/{dept['id']}")
    assert r.status_code == 409 and r.json()["code"] == "org.unit_not_empty"
    # a deleted member no longer keeps the unit alive
    await admin.delete(f"/api/v1/members/{member.member_id}")
    await admin.delete(f"/api/v1/org/units/{dept['id']}")


async def test_move_updates_subtree_and_refuses_cycles(client, app):
    admin = await register_org(client, app)
    root = (await admin.get("/api/v1/org/units"))[0]
    a = await create_unit(admin, "A")
    b = await create_unit(admin, "B", parent_id=a["id"])
    c = await create_unit(admin, "C", parent_id=b["id"])
    other = await create_unit(admin, "X")
    # a member of A sees (through unit_and_below) the subtree; moving changes it
    approver = await add_member(admin, name="审批", roles=["approver"], unit_ids=[other["id"]])
    me = await approver.get("/api/v1/auth/me")
    assert me["unit_ids"] == [other["id"]]

    for target in (a["id"], b["id"], c["id"]):
        r = await admin.call(
            "POST", f"/api/v1/org/units/{a['id']}/move", json={"parent_id": target}
        )
        assert r.status_code == 409 and r.json()["code"] == "org.unit_cycle"
    r = await admin.call(
        "POST", f"/api/v1/org/units/{root['id']}/move", json={"parent_id": a["id"]}
    )
    assert r.status_code == 409 and r.json()["code"] == "org.root_immutable"

    moved = await admin.post(
        f"/api/v1/org/units/{b['id']}/move", json={"parent_id": other["id"]}, expect=200
    )
    assert moved["parent_id"] == other["id"]
    by_id = {u["id"]: u for u in await admin.get("/api/v1/org/units")}
    assert by_id[b["id"]]["path"] == f"/{root['id']}/{other['id']}/{b['id']}/"
    assert by_id[c["id"]]["path"] == f"/{root['id']}/{other['id']}/{b['id']}/{c['id']}/"
    assert by_id[a["id"]]["path"] == f"/{root['id']}/{a['id']}/"
    # now C is below the approver's unit: member list scope follows
    c_member = await add_member(admin, name="C员工", roles=["employee"], unit_ids=[c["id"]])
    seen = await approver.get("/api/v1/members")
    assert c_member.member_id in {m["id"] for m in seen["items"]}

    intruder = await register_org(client, app)
    await intruder.post(
        f"/api/v1/org/units/{b['id']}/move", json={"parent_id": a["id"]}, expect=404
    )
    # a parent of another org is 404 too
    intruder_root = (await intruder.get("/api/v1/org/units"))[0]
    await admin.post(
        f"/api/v1/org/units/{b['id']}/move", json={"parent_id": intruder_root["id"]}, expect=404
    )


async def test_supervisors(client, app):
    admin = await register_org(client, app)
    dept = await create_unit(admin, "研发部")
    boss = await add_member(admin, name="张经理", roles=["approver"], unit_ids=[dept["id"]])
    vice = await add_member(admin, name="李副经理", roles=["approver"], unit_ids=[dept["id"]])
    out = await admin.put(
        f"/api/v1/org/units/{dept['id']}/supervisors",
        json={
            "titles": [
                {"title": "部门经理", "user_ids": [boss.user_id]},
                {"title": "副经理", "user_ids": [vice.user_id, boss.user_id]},
            ]
        },
    )
    assert out["supervisors"] == [
        {"title": "部门经理", "users": [{"id": boss.user_id, "real_name": "张经理"}]},
        {
            "title": "副经理",
            "users": [
                {"id": vice.user_id, "real_name": "李副经理"},
                {"id": boss.user_id, "real_name": "张经理"},
            ],
        },
    ]
    listed = {u["id"]: u for u in await admin.get("/api/v1/org/units")}
    assert listed[dept["id"]]["supervisors"] == out["supervisors"]
    # replace
    out = await admin.put(
        f"/api/v1/org/units/{dept['id']}/supervisors",
        json={"titles": [{"title": "负责人", "user_ids": [vice.user_id]}]},
    )
    assert [s["title"] for s in out["supervisors"]] == ["负责人"]
    # someone from another org is not a member here
    stranger = await register_org(client, app)
    r = await admin.call(
        "PUT",
        f"/api/v1/org/units/{dept['id']}/supervisors",
        json={"titles": [{"title": "负责人", "user_ids": [stranger.user_id]}]},
    )
    assert r.status_code == 404 and r.json()["code"] == "member.not_found"


async def test_logo_upload_and_errors(client, app):
    admin = await register_org(client, app)
    dept = await create_unit(admin, "品牌部")
    assert dept["logo_url"] is None
    data = png(64, 64)
    r = await admin.call(
        "POST",
        f"/api/v1/org/units/{dept['id']}/logo",
        files={"file": ("logo.png", data, "image/png")},
    )
    assert r.status_code == 200, r.text
    url = r.json()["logo_url"]
    assert url.startswith(f"/api/v1/org/units/{dept['id']}/logo")
    got = await admin.call("GET", url, expect=200)
    assert got.content == data and got.headers["content-type"] == "image/png"
    employee = await add_member(admin, name="员工", roles=["employee"])
    assert (await employee.call("GET", url)).status_code == 200

    # not an image
    r = await admin.call(
        "POST",
        f"/api/v1/org/units/{dept['id']}/logo",
        files={"file": ("logo.png", b"%PDF-1.4 not an image", "image/png")},
    )
    assert r.status_code in (415, 422) and r.json()["code"].startswith("upload.")
    # too many pixels
    r = await admin.call(
        "POST",
        f"/api/v1/org/units/{dept['id']}/logo",
        files={"file": ("big.png", png(1025, 200), "image/png")},
    )
    assert r.status_code == 422 and r.json()["code"] == "org.logo_too_large"
    # too many bytes
    r = await admin.call(
        "POST",
        f"/api/v1/org/units/{dept['id']}/logo",
        files={"file": ("big.png", b"\x89PNG\r\n\x1a\n" + b"\0" * (1024 * 1024), "image/png")},
    )
    assert r.status_code == 413 and r.json()["code"] == "upload.too_large"
    # no logo yet / other tenant
    other = await create_unit(admin, "无标志")
    r = await admin.call("GET", f"/api/v1/org/units/{other['id']}/logo")
    assert r.status_code == 404
    stranger = await register_org(client, app)
    assert (await stranger.call("GET", url)).status_code == 404
