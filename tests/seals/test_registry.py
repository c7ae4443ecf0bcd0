"""Registering seals: kinds, types, codes, units, keepers, images, tenancy."""

from __future__ import annotations

import uuid

from sealhub.seals.schemas import enum_labels
from tests.builders import add_member, register_org
from tests.seals.conftest import approved_request, create_unit, later, make_org, new_seal
from tests.storage.samples import image, reportlab_pdf


async def test_create_all_three_kinds(client, app):
    org = await make_org(client, app)
    made = {}
    for kind, code in (("physical", "P-1"), ("electronic", "E-1"), ("smart", "S-1")):
        made[kind] = await new_seal(
            org.admin, org.root_unit, code=code, kind=kind, keeper_ids=[org.keeper.user_id]
        )
    for kind, seal in made.items():
        assert seal["kind"] == kind
        assert seal["status"] == "active"
        assert seal["type_name"] == {"zh": "合同专用章", "en": "Contract seal"}
        assert seal["unit_id"] == org.root_unit and seal["unit_name"]
        assert seal["keepers"] == [{"id": org.keeper.user_id, "real_name": "李管章"}]
        assert seal["specifics"] == {} and seal["device_id"] is None
        assert seal["image_url"] is None
    detail = await org.admin.get(f"/api/v1/seals/{made['smart']['id']}")
    assert detail["code"] == "S-1" and detail["keeper_ids"] == [org.keeper.user_id]
    page = await org.admin.get("/api/v1/seals", params={"kind": "electronic"})
    assert [s["code"] for s in page["items"]] == ["E-1"] and page["total"] == 1


async def test_custom_type_needs_a_name(client, app):
    org = await make_org(client, app)
    body = {"kind": "physical", "type": "custom", "name": "质检章", "code": "QC-1"}
    r = await org.admin.call("POST", "/api/v1/seals", json={**body, "unit_id": org.root_unit})
    assert r.status_code == 422 and r.json()["code"] == "seal.custom_type_name"
    seal = await new_seal(
        org.admin, org.root_unit, code="QC-1", type="custom", custom_type_name="质检专用章"
    )
    assert seal["type"] == "custom"
    assert seal["type_name"] == {"zh": "质检专用章", "en": "质检专用章"}
    # switching to a built-in type drops the custom name
    seal = await org.admin.patch(f"/api/v1/seals/{seal['id']}", json={"type": "hr"})
    assert seal["custom_type_name"] is None and seal["type_name"]["zh"] == "人事章"
    found = await org.admin.get("/api/v1/seals", params={"type": "hr"})
    assert [s["id"] for s in found["items"]] == [seal["id"]]


async def test_code_unique_per_org(client, app):
    org = await make_org(client, app)
    first = await new_seal(org.admin, org.root_unit, code="HT-001")
    r = await org.admin.call(
        "POST",
        "/api/v1/seals",
        json={
            "kind": "physical",
            "type": "official",
            "name": "公章",
            "code": "HT-001",
            "unit_id": org.root_unit,
        },
    )
    assert r.status_code == 409 and r.json()["code"] == "seal.duplicate_code"
    second = await new_seal(org.admin, org.root_unit, code="HT-002")
    r = await org.admin.call("PATCH", f"/api/v1/seals/{second['id']}", json={"code": "HT-001"})
    assert r.status_code == 409 and r.json()["code"] == "seal.duplicate_code"
    # renaming to its own code is no conflict
    await org.admin.patch(f"/api/v1/seals/{first['id']}", json={"code": "HT-001", "name": "新"})
    # the same code in another organisation is fine
    other = await register_org(client, app, org_name="另一家公司")
    other_root = str((await other.get("/api/v1/auth/me"))["unit_ids"][0])
    await new_seal(other, other_root, code="HT-001")


async def test_unit_must_exist_in_org(client, app):
    org = await make_org(client, app)
    other = await register_org(client, app, org_name="乙公司")
    other_root = str((await other.get("/api/v1/auth/me"))["unit_ids"][0])
    for unit in (str(uuid.uuid4()), other_root):
        r = await org.admin.call(
            "POST",
            "/api/v1/seals",
            json={
                "kind": "physical",
                "type": "official",
                "name": "公章",
                "code": "X",
                "unit_id": unit,
            },
        )
        assert r.status_code == 422 and r.json()["code"] == "seal.unit_not_found"


async def test_keepers_must_be_active_members(client, app):
    org = await make_org(client, app)
    outsider = await register_org(client, app, org_name="外部公司")
    for bad in (str(uuid.uuid4()), outsider.user_id):
        r = await org.admin.call(
            "POST",
            "/api/v1/seals",
            json={
                "kind": "physical",
                "type": "finance",
                "name": "财务章",
                "code": "CW",
                "unit_id": org.root_unit,
                "keeper_ids": [bad],
            },
        )
        assert r.status_code == 422 and r.json()["code"] == "seal.keeper_not_member"
    seal = await new_seal(org.admin, org.root_unit, code="CW", keeper_ids=[org.keeper.user_id])
    r = await org.admin.call(
        "PATCH", f"/api/v1/seals/{seal['id']}", json={"keeper_ids": [outsider.user_id]}
    )
    assert r.status_code == 422
    seal = await org.admin.patch(
        f"/api/v1/seals/{seal['id']}",
        json={"keeper_ids": [org.employee.user_id, org.keeper.user_id]},
    )
    assert {k["real_name"] for k in seal["keepers"]} == {"张员工", "李管章"}
    seal = await org.admin.patch(f"/api/v1/seals/{seal['id']}", json={"keeper_ids": []})
    assert seal["keepers"] == []


async def test_create_is_idempotent_and_needs_manage(client, app):
    org = await make_org(client, app)
    body = {
        "kind": "smart",
        "type": "official",
        "name": "公章",
        "code": "GZ",
        "unit_id": org.root_unit,
    }
    headers = {"Idempotency-Key": "seal-gz-1"}
    a = await org.admin.call("POST", "/api/v1/seals", json=body, headers=headers, expect=201)
    b = await org.admin.call("POST", "/api/v1/seals", json=body, headers=headers, expect=201)
    assert a.json()["id"] == b.json()["id"]
    assert b.headers.get("Idempotent-Replayed") == "true"
    r = await org.keeper.call("POST", "/api/v1/seals", json={**body, "code": "GZ2"})
    assert r.status_code == 403


async def test_image_upload_and_download(client, app):
    org = await make_org(client, app)
    seal = await new_seal(org.admin, org.root_unit, code="IMG")
    r = await org.admin.call("GET", f"/api/v1/seals/{seal['id']}/image")
    assert r.status_code == 404 and r.json()["code"] == "seal.no_image"
    png = image("PNG")
    detail = await org.admin.post(
        f"/api/v1/seals/{seal['id']}/image",
        files={"file": ("seal.png", png, "image/png")},
        expect=200,
    )
    assert detail["image_url"] == f"/api/v1/seals/{seal['id']}/image" and detail["has_image"]
    r = await org.employee.call("GET", detail["image_url"])
    # employees (data scope: self) do not see seals they do not keep
    assert r.status_code == 404
    r = await org.keeper.call("GET", detail["image_url"], expect=200)
    assert r.content == png and r.headers["content-type"] == "image/png"
    r = await org.admin.call(
        "POST",
        f"/api/v1/seals/{seal['id']}/image",
        files={"file": ("seal.pdf", reportlab_pdf(1), "application/pdf")},
    )
    assert r.status_code == 415


async def test_enum_labels_cover_every_value():
    labels = enum_labels()
    assert {x["value"] for x in labels["seal_kind"]} == {"physical", "electronic", "smart"}
    assert len(labels["seal_type"]) == 8
    status = {x["value"]: x for x in labels["seal_status"]}
    assert set(status) == {"active", "suspended", "reported_lost", "revoked", "destroyed"}
    assert status["reported_lost"]["zh"] == "挂失" and status["active"]["color"] == "success"


async def test_another_orgs_seal_is_not_found(client, app):
    a = await make_org(client, app, "甲公司")
    b = await make_org(client, app, "乙公司")
    seal = await new_seal(a.admin, a.root_unit, code="A-1", keeper_ids=[a.keeper.user_id])
    rid = await approved_request(a, seal, a.employee)
    custody = await a.keeper.post(
        f"/api/v1/seals/{seal['id']}/hand-out",
        json={
            "request_id": rid,
            "holder_id": a.employee.user_id,
            "expected_return_at": later(24),
        },
    )
    sid = seal["id"]
    calls = [
        ("GET", f"/api/v1/seals/{sid}", None),
        ("PATCH", f"/api/v1/seals/{sid}", {"name": "x"}),
        ("POST", f"/api/v1/seals/{sid}/status", {"status": "suspended", "reason": "x"}),
        ("GET", f"/api/v1/seals/{sid}/history", None),
        ("GET", f"/api/v1/seals/{sid}/custody", None),
        ("GET", f"/api/v1/seals/{sid}/image", None),
        (
            "POST",
            f"/api/v1/seals/{sid}/hand-out",
            {
                "request_id": str(uuid.uuid4()),
                "holder_id": b.employee.user_id,
                "expected_return_at": "2999-01-01T00:00:00+00:00",
            },
        ),
        ("POST", f"/api/v1/custody/{custody['id']}/return", {"note": ""}),
    ]
    for method, url, body in calls:
        r = await b.admin.call(method, url, json=body)
        assert r.status_code == 404, (method, url, r.text)
    page = await b.admin.get("/api/v1/seals")
    assert sid not in [s["id"] for s in page["items"]]
    assert (await b.admin.get("/api/v1/custody/overdue"))["total"] == 0


async def test_data_scope_on_listing(client, app):
    org = await make_org(client, app)
    sales = await create_unit(org.admin, "销售部")
    east = await create_unit(org.admin, "华东区", parent_id=sales["id"])
    finance = await create_unit(org.admin, "财务部")
    approver = await add_member(
        org.admin, name="赵审批", roles=["approver"], unit_ids=[sales["id"]]
    )
    s_sales = await new_seal(org.admin, sales["id"], code="XS")
    s_east = await new_seal(org.admin, east["id"], code="HD")
    s_fin = await new_seal(org.admin, finance["id"], code="CW", keeper_ids=[approver.user_id])
    s_other = await new_seal(org.admin, finance["id"], code="CW2")
    seen = {s["code"] for s in (await approver.get("/api/v1/seals"))["items"]}
    # unit and below, plus the finance seal they keep
    assert seen == {"XS", "HD", "CW"}
    assert (await approver.get(f"/api/v1/seals/{s_east['id']}"))["code"] == "HD"
    assert (await approver.get(f"/api/v1/seals/{s_fin['id']}"))["code"] == "CW"
    r = await approver.call("GET", f"/api/v1/seals/{s_other['id']}")
    assert r.status_code == 404
    # the employee (self scope) sees nothing they do not keep; admin (org) sees all
    assert (await org.employee.get("/api/v1/seals"))["total"] == 0
    everything = await org.admin.get("/api/v1/seals", params={"sort": "code"})
    assert [s["code"] for s in everything["items"]] == ["CW", "CW2", "HD", "XS"]
    by_unit = await org.admin.get("/api/v1/seals", params={"unit_id": sales["id"]})
    assert [s["id"] for s in by_unit["items"]] == [s_sales["id"]]
    found = await org.admin.get("/api/v1/seals", params={"q": "CW", "sort": "-code"})
    assert [s["code"] for s in found["items"]] == ["CW2", "CW"]
    r = await org.admin.call("GET", "/api/v1/seals", params={"sort": "status"})
    assert r.status_code == 422


async def test_employee_picks_from_active_seals_of_whole_org(client, app):
    from tests.builders import add_member, register_org

    admin = await register_org(client, app)
    me = await admin.get("/api/v1/auth/me")
    unit = me["unit_ids"][0]
    for name, kind in (("合同章", "physical"), ("电子公章", "electronic")):
        await admin.post(
            "/api/v1/seals",
            json={
                "name": name,
                "code": f"S-{name}",
                "kind": kind,
                "type": "contract",
                "unit_id": unit,
            },
        )
    lost = await admin.post(
        "/api/v1/seals",
        json={
            "name": "丢失章",
            "code": "S-LOST",
            "kind": "physical",
            "type": "official",
            "unit_id": unit,
        },
    )
    await admin.post(
        f"/api/v1/seals/{lost['id']}/status",
        json={"status": "reported_lost", "reason": "遗失"},
        expect=200,
    )
    employee = await add_member(admin, name="员工", roles=["employee"])
    assert (await employee.get("/api/v1/seals"))["total"] == 0  # data scope: self
    options = await employee.get("/api/v1/seals/options")
    assert sorted(o["name"] for o in options) == ["合同章", "电子公章"]
    physical = await employee.get("/api/v1/seals/options", params={"kind": "physical"})
    assert [o["name"] for o in physical] == ["合同章"]
