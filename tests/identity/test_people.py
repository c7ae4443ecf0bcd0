"""The people model: an account is its owner's; organisations invite, never take over.

Defects of issue 8 (#1 takeover across organisations, #2 climbing past one's own
privileges, #8 unit codes colliding) and issue 7's `org.unit_not_empty`.
"""

from __future__ import annotations

import asyncio
import io
from datetime import timedelta
from typing import Any

from openpyxl import Workbook

from sealhub.platform import clock
from tests.builders import (
    PASSWORD,
    Api,
    add_member,
    create_unit,
    login,
    next_phone,
    register_org,
    role_ids,
    sms_code,
)


async def _invite(admin: Api, phone: str, name: str, roles: list[str]) -> dict[str, Any]:
    r = await admin.call(
        "POST",
        "/api/v1/members",
        json={"real_name": name, "phone": phone, "role_ids": await role_ids(admin, roles)},
    )
    assert r.status_code == 202, r.text
    body: dict[str, Any] = r.json()
    return body


async def test_another_org_cannot_take_over_an_account(client, app):
    victim = await register_org(client, app, org_name="甲公司")
    attacker = await register_org(client, app, org_name="乙公司")
    # adding the victim's phone only invites: no membership, no password, nothing to reset
    invitation = await _invite(attacker, victim.phone, "受害者", ["admin"])
    assert invitation["status"] == "pending" and invitation["phone"] == victim.phone
    assert "temporary_password" not in invitation
    assert (await attacker.get("/api/v1/members", params={"q": "受害者"}))["total"] == 0
    for url in (
        f"/api/v1/members/{invitation['id']}/reset-password",
        f"/api/v1/members/{victim.member_id}/reset-password",
    ):
        r = await attacker.call("POST", url)
        assert r.status_code == 404, r.text
    # the same phone again: the invitation is still pending
    r = await attacker.call(
        "POST", "/api/v1/members", json={"real_name": "x", "phone": victim.phone}
    )
    assert r.status_code == 409 and r.json()["code"] == "member.invitation_pending"

    # the victim's password still works and lands only in their own organisation
    again = await login(client, victim.phone)
    assert again.org_id == victim.org_id
    me = await again.get("/api/v1/auth/me")
    assert [m["org_name"] for m in me["memberships"]] == ["甲公司"]
    # switching to the inviting organisation is refused while only invited
    r = await again.call("POST", "/api/v1/auth/switch-org", json={"org_id": attacker.org_id})
    assert r.status_code in (403, 404)

    # the victim sees the invitation in the console and declines it
    [mine] = await again.get("/api/v1/me/invitations")
    assert mine["id"] == invitation["id"] and mine["org_name"] == "乙公司"
    out = await again.post(f"/api/v1/me/invitations/{mine['id']}/decline", expect=200)
    assert out["status"] == "declined"
    assert await again.get("/api/v1/me/invitations") == []
    r = await again.call("POST", f"/api/v1/me/invitations/{mine['id']}/accept")
    assert r.status_code == 409
    # another person cannot answer someone else's invitation
    second = await _invite(attacker, victim.phone, "受害者", ["employee"])
    r = await attacker.call("POST", f"/api/v1/me/invitations/{second['id']}/accept")
    assert r.status_code == 404
    assert (await attacker.get("/api/v1/members", params={"q": "受害者"}))["total"] == 0


async def test_accepted_invitation_and_reset_by_code_only(client, app):
    home = await register_org(client, app, org_name="本公司")
    person = await add_member(home, name="跨组织", roles=["employee"])
    other = await register_org(client, app, org_name="外公司")
    dept = await create_unit(other, "外部门")
    invitation = await other.post(
        "/api/v1/members",
        json={
            "real_name": "跨组织乙",
            "phone": person.phone,
            "role_ids": await role_ids(other, ["approver"]),
            "unit_ids": [dept["id"]],
        },
        expect=202,
    )
    pending = await other.get("/api/v1/members/invitations")
    assert [i["id"] for i in pending["items"]] == [invitation["id"]]

    accepted = await person.post(f"/api/v1/me/invitations/{invitation['id']}/accept", expect=200)
    assert accepted["status"] == "accepted" and accepted["org_id"] == other.org_id
    page = await other.get("/api/v1/members", params={"q": "跨组织乙"})
    [m] = page["items"]
    assert m["id"] == accepted["membership_id"] and m["status"] == "active"
    assert [r["builtin_key"] for r in m["roles"]] == ["approver"]
    assert m["units"][0]["id"] == dept["id"]
    assert (await other.get("/api/v1/members/invitations"))["total"] == 0
    await person.post("/api/v1/auth/switch-org", json={"org_id": other.org_id}, expect=204)

    # the organisation that did not open the account can only send the owner a reset code
    out = await other.post(f"/api/v1/members/{m['id']}/reset-password", expect=200)
    assert out == {"temporary_password": None, "code_sent": True}
    code = sms_code(app, person.phone)
    assert (await login(client, person.phone, PASSWORD)).user_id == person.user_id
    # not even the organisation that opened it, once its owner has signed in
    out = await home.post(f"/api/v1/members/{person.member_id}/reset-password", expect=200)
    assert out["temporary_password"] is None and out["code_sent"] is True
    # the owner uses the code
    r = await client.post(
        "/api/v1/auth/password-reset",
        json={
            "phone": person.phone,
            "code": sms_code(app, person.phone),
            "new_password": "N3wPassw0rd!",
        },
    )
    assert r.status_code in (200, 204), r.text
    assert code  # the first code was sent to the owner too
    await login(client, person.phone, "N3wPassw0rd!")


async def test_invitation_accepted_by_sms_code(client, app):
    home = await register_org(client, app, org_name="短信本")
    other = await register_org(client, app, org_name="短信邀")
    invitation = await _invite(other, home.phone, "短信人", ["employee"])
    code = sms_code(app, home.phone)
    bad = await client.post(
        "/api/v1/invitations/accept", json={"phone": home.phone, "code": "000000x"}
    )
    assert bad.status_code == 400 and bad.json()["code"] == "auth.invalid_sms_code"
    r = await client.post("/api/v1/invitations/accept", json={"phone": home.phone, "code": code})
    assert r.status_code == 200, r.text
    assert r.json()["org_id"] == other.org_id
    # single use
    r = await client.post("/api/v1/invitations/accept", json={"phone": home.phone, "code": code})
    assert r.status_code == 400
    me = await (await login(client, home.phone)).get("/api/v1/auth/me")
    assert {m["org_name"] for m in me["memberships"]} == {"短信本", "短信邀"}
    assert invitation["id"]


async def test_first_password_only_for_an_account_the_org_opened_and_never_used(client, app):
    admin = await register_org(client, app)
    phone = next_phone()
    created = await admin.post("/api/v1/members", json={"real_name": "新人", "phone": phone})
    first = created["temporary_password"]
    assert first
    out = await admin.post(f"/api/v1/members/{created['id']}/reset-password", expect=200)
    assert out["temporary_password"] and out["code_sent"] is False
    person = await login(client, phone, out["temporary_password"])
    out = await admin.post(f"/api/v1/members/{created['id']}/reset-password", expect=200)
    assert out == {"temporary_password": None, "code_sent": True}
    assert (await client.get("/api/v1/auth/me", headers=person.headers)).status_code == 200


async def test_import_invites_existing_accounts(client, app):
    other = await register_org(client, app, org_name="导入别家")
    admin = await register_org(client, app, org_name="导入方")
    fresh = next_phone()
    wb = Workbook()
    ws = wb.active
    for row in (["姓名", "手机号"], ["别家管理员", other.phone], ["新人", fresh]):
        ws.append(row)
    buf = io.BytesIO()
    wb.save(buf)
    r = await admin.call(
        "POST", "/api/v1/members/import", files={"file": ("m.xlsx", buf.getvalue())}
    )
    assert r.status_code == 200, r.text
    out = r.json()
    assert [c["phone"] for c in out["created"]] == [fresh]
    assert [i["phone"] for i in out["invited"]] == [other.phone]
    assert (await admin.get("/api/v1/members", params={"q": "别家"}))["total"] == 0
    [mine] = await other.get("/api/v1/me/invitations")
    assert mine["org_name"] == "导入方"
    assert (await login(client, other.phone)).org_id == other.org_id


async def _member_manager(admin: Api) -> Api:
    role = await admin.post(
        "/api/v1/roles",
        json={
            "name": "人事专员",
            "permissions": ["member.read", "member.manage", "org.read"],
            "data_scope": "org",
        },
    )
    manager = await add_member(admin, name="人事", roles=["employee"])
    await admin.patch(f"/api/v1/members/{manager.member_id}", json={"role_ids": [role["id"]]})
    manager.extra["role_id"] = role["id"]
    return manager


async def test_a_member_manager_cannot_act_on_someone_above_them(client, app):
    admin = await register_org(client, app)
    manager = await _member_manager(admin)
    for method, url, body in (
        ("POST", f"/api/v1/members/{admin.member_id}/reset-password", None),
        ("POST", f"/api/v1/members/{admin.member_id}/disable", None),
        ("DELETE", f"/api/v1/members/{admin.member_id}", None),
        ("PATCH", f"/api/v1/members/{admin.member_id}", {"real_name": "改名"}),
    ):
        r = await manager.call(method, url, json=body)
        assert r.status_code == 403, (method, url, r.text)
        assert r.json()["code"] == "member.exceeds_own"
    # the admin still signs in with their own password, enabled
    assert (await login(client, admin.phone)).member_id == admin.member_id
    # an equal is fine
    peer = await add_member(admin, name="同级", roles=["employee"])
    await admin.patch(
        f"/api/v1/members/{peer.member_id}", json={"role_ids": [manager.extra["role_id"]]}
    )
    await manager.post(f"/api/v1/members/{peer.member_id}/disable", expect=200)
    await manager.delete(f"/api/v1/members/{peer.member_id}")


async def test_deleting_a_unit_with_seals_is_unit_not_empty(client, app):
    admin = await register_org(client, app)
    unit = await create_unit(admin, "有章部门")
    await admin.post(
        "/api/v1/seals",
        json={
            "kind": "physical",
            "type": "contract",
            "name": "合同专用章",
            "code": "HT-UNIT-1",
            "unit_id": unit["id"],
        },
    )
    r = await admin.call("DELETE", f"/api/v1/org/units/{unit['id']}")
    assert r.status_code == 409 and r.json()["code"] == "org.unit_not_empty", r.text
    await admin.get(f"/api/v1/org/units/{unit['id']}")


async def test_concurrent_unit_creates_all_get_a_code(client, app):
    admin = await register_org(client, app)
    await admin.get("/api/v1/auth/me")
    n = 20

    async def one(i: int) -> Any:
        return await admin.call("POST", "/api/v1/org/units", json={"name": f"并发部门{i}"})

    replies = await asyncio.gather(*(one(i) for i in range(n)))
    assert [r.status_code for r in replies] == [201] * n, [
        r.text for r in replies if r.status_code != 201
    ]
    assert len({r.json()["code"] for r in replies}) == n


async def test_withdrawn_or_expired_invitations_cannot_be_accepted(client, app):
    home = await register_org(client, app, org_name="撤回本")
    other = await register_org(client, app, org_name="撤回邀")
    person = await login(client, home.phone)
    first = await _invite(other, home.phone, "撤回人", ["employee"])
    code = sms_code(app, home.phone)
    await other.delete(f"/api/v1/members/invitations/{first['id']}")
    assert (await other.get("/api/v1/members/invitations"))["total"] == 0
    assert await person.get("/api/v1/me/invitations") == []
    r = await person.call("POST", f"/api/v1/me/invitations/{first['id']}/accept")
    assert r.status_code == 409 and r.json()["code"] == "invitation.invalid_transition"
    r = await client.post("/api/v1/invitations/accept", json={"phone": home.phone, "code": code})
    assert r.status_code == 400

    second = await _invite(other, home.phone, "撤回人", ["employee"])
    clock.advance(timedelta(days=15))
    person = await login(client, home.phone)  # a fortnight outlives the session too
    assert await person.get("/api/v1/me/invitations") == []
    r = await person.call("POST", f"/api/v1/me/invitations/{second['id']}/accept")
    assert r.status_code == 409
    # an expired invitation does not block a new one
    other = await login(client, other.phone)
    await _invite(other, home.phone, "撤回人", ["employee"])
    me = await person.get("/api/v1/auth/me")
    assert [m["org_name"] for m in me["memberships"]] == ["撤回本"]


async def test_an_api_key_cannot_answer_its_creators_invitations(client, app):
    home = await register_org(client, app, org_name="密钥本")
    other = await register_org(client, app, org_name="密钥邀")
    invitation = await _invite(other, home.phone, "密钥人", ["employee"])
    key = await home.post("/api/v1/api-keys", json={"name": "集成", "permissions": ["member.read"]})
    headers = {"Authorization": f"Bearer {key['secret']}"}
    r = await client.get("/api/v1/me/invitations", headers=headers)
    assert r.status_code == 401
    r = await client.post(f"/api/v1/me/invitations/{invitation['id']}/accept", headers=headers)
    assert r.status_code == 401


async def test_invitations_are_visible_by_data_scope(client, app):
    admin = await register_org(client, app, org_name="范围邀")
    role = await admin.post(
        "/api/v1/roles",
        json={
            "name": "部门人事",
            "permissions": ["member.read", "member.manage", "org.read"],
            "data_scope": "unit",
        },
    )
    hr = await add_member(admin, name="部门人事", roles=["employee"])
    await admin.patch(f"/api/v1/members/{hr.member_id}", json={"role_ids": [role["id"]]})
    first = await register_org(client, app, org_name="甲方")
    second = await register_org(client, app, org_name="乙方")
    await _invite(admin, first.phone, "管理员邀请的", ["employee"])
    mine = await hr.post(
        "/api/v1/members",
        json={"real_name": "人事邀请的", "phone": second.phone, "role_ids": [role["id"]]},
        expect=202,
    )
    assert [i["id"] for i in (await hr.get("/api/v1/members/invitations"))["items"]] == [mine["id"]]
    assert (await admin.get("/api/v1/members/invitations"))["total"] == 2
