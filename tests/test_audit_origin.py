"""Every write is in the audit trail with its actor, time, IP and client (issue 7, item 11).

A recording client gives each request a User-Agent of its own, then the test walks every
mutating route of the app: each one it called successfully must have left at least one
audit entry carrying that exact client, the caller's IP and an actor. Routes that write
nothing worth an entry are listed in NO_ENTRY with the reason; a new mutating route that
is neither exercised here nor listed fails the test.
"""

from __future__ import annotations

import itertools
import re
from dataclasses import dataclass
from datetime import timedelta

import httpx
import pyotp
from sqlalchemy import select

from sealhub.api.introspect import api_routes
from sealhub.devices.protocol import messages as msgs
from sealhub.devices.protocol.bundle import export
from sealhub.devices.protocol.journal import Journal
from sealhub.devices.protocol.signing import Signer
from sealhub.platform import clock
from sealhub.platform.audit import AuditEntry
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
from tests.esign.world import sealing_body
from tests.storage.samples import reportlab_pdf
from tests.world import UPLOADS, build_world, upload_file

IP = "192.0.2.44"
MUTATING = {"POST", "PUT", "PATCH", "DELETE"}

# reviewed: routes that legitimately leave no audit entry, and why
NO_ENTRY = {
    ("POST", "/api/v1/auth/sms-codes"): "sends a code; writes no data (rate-limited instead)",
    ("POST", "/api/v1/auth/logout"): "ends only the caller's own session",
    ("POST", "/api/v1/flows/preview"): "computes the approval route of a draft; stores nothing",
    ("POST", "/api/v1/esign/preview"): "renders a seal design's image; stores nothing",
    ("POST", "/api/v1/esign/willingness/sms"): "sends a code; writes no data (rate-limited)",
    ("POST", "/api/v1/esign/verify"): "public verification of an uploaded PDF; stores nothing",
    ("PUT", "/api/v1/device-media/{token}"): "a device's upload, audited as the system for it",
    # a failed sign-in writes nothing by design (see tests/identity/test_signin.py); a
    # successful one is `auth.login`, checked below like any other write
}


@dataclass
class Call:
    method: str
    path: str
    status: int
    client: str


class Recorder:
    """Stamps each request with a unique User-Agent and remembers what it got."""

    def __init__(self, templates: list[tuple[str, str]]) -> None:
        self.calls: list[Call] = []
        self._n = itertools.count()
        self._patterns = [
            (m, p, re.compile("^" + re.sub(r"\{[^}]+\}", "[^/]+", p) + "$")) for m, p in templates
        ]

    def template(self, method: str, path: str) -> str | None:
        for m, p, rx in self._patterns:
            if m == method and rx.match(path):
                return p
        return None

    async def on_request(self, request: httpx.Request) -> None:
        request.headers["user-agent"] = f"origin-test/{next(self._n)}"

    async def on_response(self, response: httpx.Response) -> None:
        req = response.request
        path = self.template(req.method, req.url.path)
        if path is not None:
            self.calls.append(
                Call(req.method, path, response.status_code, req.headers["user-agent"])
            )


async def _exercise_auth_routes(client: httpx.AsyncClient, app, admin: Api) -> None:
    """The account's own routes: switch, TOTP, reset by SMS, SMS sign-in, join request."""
    second = await register_org(client, app, org_name="第二公司")
    await second.post("/api/v1/auth/switch-org", json={"org_id": second.org_id}, expect=204)
    setup = await admin.post("/api/v1/auth/totp/setup", expect=200)
    totp = pyotp.TOTP(setup["secret"])
    await admin.post("/api/v1/auth/totp/enable", json={"code": totp.now()}, expect=204)
    await admin.post("/api/v1/auth/totp/disable", json={"code": totp.now()}, expect=204)
    # a person asks to join the organisation
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
    assert r.status_code == 201, r.text
    # forgotten password, then sign-in by SMS
    await client.post("/api/v1/auth/sms-codes", json={"phone": second.phone, "purpose": "reset"})
    r = await client.post(
        "/api/v1/auth/password-reset",
        json={
            "phone": second.phone,
            "code": sms_code(app, second.phone),
            "new_password": "N3wPass1x",
        },
    )
    assert r.status_code == 204, r.text
    await client.post("/api/v1/auth/sms-codes", json={"phone": second.phone, "purpose": "login"})
    r = await client.post(
        "/api/v1/auth/login/sms", json={"phone": second.phone, "code": sms_code(app, second.phone)}
    )
    assert r.status_code == 200, r.text
    again = await login(client, second.phone, "N3wPass1x")
    await _exercise_invitations(client, app, admin, again, second.phone)


async def _exercise_invitations(
    client: httpx.AsyncClient, app, admin: Api, person: Api, phone: str
) -> None:
    """Another organisation's person declines, then accepts in the console; a third
    organisation's invitation is accepted with the texted code."""

    async def invite(org: Api) -> str:
        r = await org.call(
            "POST",
            "/api/v1/members",
            json={
                "real_name": "受邀的人",
                "phone": phone,
                "role_ids": await role_ids(org, ["employee"]),
            },
        )
        assert r.status_code == 202, r.text
        return str(r.json()["id"])

    first = await invite(admin)
    await person.post(f"/api/v1/me/invitations/{first}/decline", expect=200)
    second = await invite(admin)
    await person.post(f"/api/v1/me/invitations/{second}/accept", expect=200)
    third = await register_org(client, app, org_name="第三公司")
    await invite(third)
    r = await client.post(
        "/api/v1/invitations/accept",
        json={"phone": phone, "code": sms_code(app, phone)},
    )
    assert r.status_code == 200, r.text


async def _exercise_directory(client: httpx.AsyncClient, app, admin: Api, world) -> None:
    """Organisation, units, members and roles: each change once."""
    await admin.patch("/api/v1/org", json={"name": "审计来源公司二"})
    a = await create_unit(admin, "搬迁部门")
    b = await create_unit(admin, "目标部门")
    await admin.post(f"/api/v1/org/units/{a['id']}/move", json={"parent_id": b["id"]}, expect=200)
    await admin.delete(f"/api/v1/org/units/{a['id']}")
    role = await admin.post(
        "/api/v1/roles",
        json={"name": "审计角色", "permissions": ["seal.read"], "data_scope": "self"},
    )
    await admin.patch(f"/api/v1/roles/{role['id']}", json={"description": "改"})
    member = await add_member(admin, name="被管理的人", roles=["employee"])
    mid = member.member_id
    await admin.patch(f"/api/v1/members/{mid}", json={"real_name": "改名的人"})
    await admin.post(f"/api/v1/members/{mid}/disable", expect=200)
    await admin.post(f"/api/v1/members/{mid}/enable", expect=200)
    await admin.post(f"/api/v1/members/{mid}/reset-password", expect=200)
    pending = await admin.get("/api/v1/members", params={"status": "pending"})
    assert pending["items"], "the join request of _exercise_auth_routes"
    await admin.post(f"/api/v1/members/{pending['items'][0]['id']}/approve", expect=200)
    sheet = f"姓名,手机号\n导入的人,{next_phone()}\n".encode()
    await admin.call("POST", "/api/v1/members/import", files={"file": ("m.csv", sheet)}, expect=200)


async def _exercise_requests(admin: Api, world) -> None:
    """An application through each of its steps, with the admin as the seal's keeper."""
    other = await add_member(admin, name="另一审批人", roles=["admin"])
    applicant = await add_member(admin, name="申请的人", roles=["employee"])
    seal = await admin.post(
        "/api/v1/seals",
        json={
            "kind": "physical",
            "type": "contract",
            "name": "审计用章",
            "code": "AUDIT-ORIGIN",
            "unit_id": world.ids["unit_id"],
            "keeper_ids": [admin.user_id],
        },
    )
    await applicant.post(
        "/api/v1/flows/preview", json={"seal_ids": [seal["id"]], "presses": 1}, expect=200
    )
    doc = (
        await applicant.call(
            "POST",
            "/api/v1/documents",
            expect=201,
            files={"file": ("a.pdf", reportlab_pdf(1), "application/pdf")},
        )
    ).json()
    now = clock.now()
    later = (now + timedelta(days=2)).isoformat()

    async def new(submit: bool = True) -> str:
        body = {
            "name": "审计申请",
            "valid_from": now.isoformat(),
            "valid_until": (now + timedelta(days=3)).isoformat(),
            "document_ids": [doc["id"]],
            "items": [{"seal_id": seal["id"], "presses": 1}],
            "submit": submit,
        }
        return str((await applicant.post("/api/v1/requests", json=body))["id"])

    r1 = await new(submit=False)
    await applicant.post(f"/api/v1/requests/{r1}/submit", expect=200)
    await applicant.post(f"/api/v1/requests/{r1}/withdraw", expect=200)
    r2 = await new()
    await admin.post(
        f"/api/v1/requests/{r2}/transfer", json={"to_user_id": other.user_id}, expect=200
    )
    await other.post(f"/api/v1/requests/{r2}/reject", json={"comment": "不行"}, expect=200)
    r3 = await new()
    await admin.post(
        f"/api/v1/requests/{r3}/add-approver", json={"user_id": other.user_id}, expect=200
    )
    for approver in (admin, other):
        await approver.call("POST", f"/api/v1/requests/{r3}/approve", json={"comment": "好"})
    await applicant.post(
        f"/api/v1/requests/{r3}/add-presses",
        json={"seal_id": seal["id"], "presses": 1, "reason": "多盖一次"},
        expect=200,
    )
    await admin.post(
        f"/api/v1/requests/{r3}/window",
        json={"valid_from": now.isoformat(), "valid_until": later},
        expect=200,
    )
    await admin.post(f"/api/v1/requests/{r3}/end", json={"reason": "用完"}, expect=200)
    await admin.post(f"/api/v1/requests/{r3}/archive", expect=200)


async def _exercise_esign(admin: Api, world) -> None:
    """An e-seal applied for, reviewed, its CA's TSA set, a sealing, a renewal, a revocation."""
    reviewer = await add_member(admin, name="电子章审核", roles=["admin"])
    employee = await add_member(admin, name="电子章用户", roles=["employee"])
    await admin.call("POST", "/api/v1/esign/preview", json={"org_name": "审计来源公司"})

    async def material() -> str:
        r = await admin.call("POST", "/api/v1/esign/materials", files=upload_file(), expect=201)
        return str(r.json()["id"])

    app_ = await admin.post(
        "/api/v1/esign/applications",
        json={
            "seal_type": "contract",
            "seal_name": "审计电子章",
            "seal_code": "AUDIT-ESEAL",
            "unit_id": world.ids["unit_id"],
            "design": {"org_name": "审计来源公司", "title": "合同专用章"},
            "licence_object_id": await material(),
            "authorisation_object_id": await material(),
        },
    )
    done = await reviewer.post(
        f"/api/v1/esign/applications/{app_['id']}/review", json={"approve": True}, expect=200
    )
    await admin.put("/api/v1/esign/ca/tsa", json={"tsa_url": "https://tsa.example/tsr"})
    await admin.patch(f"/api/v1/seals/{done['seal_id']}", json={"keeper_ids": [admin.user_id]})
    doc = (
        await employee.call(
            "POST",
            "/api/v1/documents",
            expect=201,
            files={"file": ("e.pdf", reportlab_pdf(1), "application/pdf")},
        )
    ).json()
    now = clock.now()
    req = await employee.post(
        "/api/v1/requests",
        json={
            "name": "电子用章",
            "valid_from": now.isoformat(),
            "valid_until": (now + timedelta(days=1)).isoformat(),
            "document_ids": [doc["id"]],
            "items": [{"seal_id": done["seal_id"], "presses": 1}],
            "submit": True,
        },
    )
    await admin.post(f"/api/v1/requests/{req['id']}/approve", json={}, expect=200)
    await employee.post("/api/v1/esign/willingness/sms", expect=202)
    await employee.post(
        f"/api/v1/esign/requests/{req['id']}/sealings",
        json=sealing_body(doc["id"], done["seal_id"]),
    )
    renewed = await admin.post(
        f"/api/v1/esign/certificates/{done['certificate_id']}/renew", expect=200
    )
    await admin.post(
        f"/api/v1/esign/certificates/{renewed['id']}/revoke", json={"reason": "演练"}, expect=200
    )


async def _exercise_devices(admin: Api, world) -> None:
    """Every device write, in an order where each one is allowed."""
    units = await admin.get("/api/v1/org/units")
    root = next(u["id"] for u in units if u.get("parent_id") is None)
    out = await admin.post(
        "/api/v1/devices",
        json={
            "serial": f"AO-{next_phone().lstrip('+')}",
            "claim_code": "claim-ao",
            "name": "审计设备",
            "unit_id": root,
        },
    )
    path = f"/api/v1/devices/{out['device']['id']}"
    cmd = await admin.post(f"{path}/commands", json={"kind": "lock", "params": {}})
    await admin.post(f"{path}/commands/{cmd['id']}/cancel", expect=200)
    await admin.post(f"{path}/commands/{cmd['id']}/retry", expect=200)
    fp = await admin.post(f"{path}/fingerprints", json={"slot": 1, "user_id": admin.user_id})
    await admin.delete(f"{path}/fingerprints/{fp['id']}", expect=200)
    await admin.post(f"{path}/offline-codes", json={"user_id": admin.user_id})
    journal = Journal(keep_acked=True)
    journal.append(msgs.LockData(reason="manual"), 1_700_000_000_000)
    signer = Signer.from_seed_hex(out["credentials"]["ed25519_seed_hex"])
    bundle = export(
        journal.kept, device=out["device"]["serial"], signer=signer, now_ms=1, head=journal.head
    )
    await admin.call(
        "POST", f"{path}/bundles", expect=200, files={"file": ("b.jsonl", bundle, "text/plain")}
    )
    await admin.post(f"{path}/transfer", json={"unit_id": world.ids["unit_id"]}, expect=200)
    await admin.post(f"{path}/suspend", json={"reason": "x"}, expect=200)
    await admin.post(f"{path}/resume", json={"reason": "x"}, expect=200)
    await admin.post(f"{path}/unbind", json={}, expect=409)  # holds no seal
    await admin.post(f"{path}/decommission", json={"reason": "x"}, expect=200)
    world_device = f"/api/v1/devices/{world.ids['device_id']}"
    await admin.post(f"{world_device}/unbind", json={"reason": "x"}, expect=200)
    smart = world.bodies[("POST", "/api/v1/devices/{device_id}/bind")]
    await admin.post(f"{world_device}/bind", json=smart, expect=200)


async def _exercise_evidence(admin: Api) -> None:
    await admin.post("/api/v1/evidence/keys/rotate", json={"overlap_hours": 1}, expect=201)
    await admin.put(
        "/api/v1/evidence/witnesses",
        json={"witnesses": [{"kind": "file", "target": "audit-origin"}]},
        expect=200,
    )


async def test_every_write_records_actor_ip_and_client(app):
    templates = [(m, p) for p, methods, _ in api_routes(app) for m in methods if m in MUTATING]
    rec = Recorder(templates)
    transport = httpx.ASGITransport(app=app, client=(IP, 50001))
    async with httpx.AsyncClient(
        transport=transport,
        base_url="http://sealhub.test",
        event_hooks={"request": [rec.on_request], "response": [rec.on_response]},
    ) as client:
        admin = await register_org(client, app, org_name="审计来源公司")
        world = await build_world(app, admin)
        await _exercise_auth_routes(client, app, admin)
        await _exercise_directory(client, app, admin, world)
        await _exercise_requests(admin, world)
        await _exercise_esign(admin, world)
        await _exercise_devices(admin, world)
        await _exercise_evidence(admin)
        await admin.put("/api/v1/inspection/settings", json={"precision": "loose"})
        # and every id-taking mutating route not yet seen, on the organisation's own objects
        seen = {(c.method, c.path) for c in rec.calls if c.status < 300}
        for method, path in sorted(templates):
            params = re.findall(r"\{([^}]+)\}", path)
            if not params or (method, path) in NO_ENTRY or (method, path) in seen:
                continue
            url = path
            for p in params:
                url = url.replace("{" + p + "}", world.ids[p])
            if (method, path) in UPLOADS:
                await admin.call(method, url, files=upload_file())
            else:
                await admin.call(method, url, json=world.bodies.get((method, path), {}))

    async with app.state.runtime.db.read_sessions() as s:
        entries = (
            await s.execute(
                select(
                    AuditEntry.client, AuditEntry.actor_id, AuditEntry.ip, AuditEntry.action
                ).where(AuditEntry.client.like("origin-test/%"))
            )
        ).all()
    by_client: dict[str, list[tuple[object, ...]]] = {}
    for row in entries:
        by_client.setdefault(row.client, []).append(tuple(row))

    exercised: set[tuple[str, str]] = set()
    problems = []
    for call in rec.calls:
        if call.status >= 300 or (call.method, call.path) in NO_ENTRY:
            continue
        exercised.add((call.method, call.path))
        found = by_client.get(call.client, [])
        if not found:
            problems.append(f"{call.method} {call.path} ({call.status}): no audit entry")
            continue
        for _client, actor_id, ip, action in found:
            if actor_id is None or ip != IP:
                problems.append(f"{call.method} {call.path}: {action} lacks actor or IP ({ip})")
    assert not problems, "\n".join(sorted(set(problems)))
    failed = sorted({(c.method, c.path, c.status) for c in rec.calls if c.status >= 300})
    missing = sorted(set(templates) - exercised - set(NO_ENTRY))
    assert not missing, (
        f"mutating routes never exercised (add a call or a reason): {missing}; failed: {failed}"
    )
