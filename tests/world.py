"""One of every kind of object in an organisation, built through the API, with valid
request bodies for every id-taking route (so a cross-tenant call is judged on the id,
not rejected earlier for a malformed body)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from fastapi import FastAPI

from sealhub.platform import clock
from tests.builders import Api, add_member, create_unit
from tests.esign.world import add_esign
from tests.notify.support import TAMPER, raise_one
from tests.storage.samples import image, reportlab_pdf


@dataclass
class World:
    ids: dict[str, str] = field(default_factory=dict)
    marker: str = ""
    readable: list[str] = field(default_factory=list)
    bodies: dict[tuple[str, str], dict[str, Any]] = field(default_factory=dict)


async def build_world(app: FastAPI, admin: Api) -> World:
    w = World(marker=f"机密-{uuid.uuid4().hex[:8]}")
    unit = await create_unit(admin, f"部门{w.marker}")
    keeper = await add_member(
        admin, name=f"管章{w.marker}", roles=["keeper"], unit_ids=[unit["id"]]
    )
    employee = await add_member(
        admin, name=f"员工{w.marker}", roles=["employee"], unit_ids=[unit["id"]]
    )
    role = await admin.post(
        "/api/v1/roles",
        json={"name": f"角色{w.marker}", "permissions": ["seal.read"], "data_scope": "self"},
    )
    key = await admin.post(
        "/api/v1/api-keys", json={"name": f"key{w.marker}", "permissions": ["seal.read"]}
    )
    seal = await admin.post(
        "/api/v1/seals",
        json={
            "kind": "physical",
            "type": "contract",
            "name": f"章{w.marker}",
            "code": f"C{w.marker}",
            "unit_id": unit["id"],
            "keeper_ids": [keeper.user_id],
        },
    )
    flow = await admin.post(
        "/api/v1/flows",
        json={
            "name": f"流程{w.marker}",
            "steps": [{"name": "管章人", "mode": "any", "approver": {"kind": "seal_keeper"}}],
        },
    )
    doc = (
        await employee.call(
            "POST",
            "/api/v1/documents",
            expect=201,
            files={"file": ("a.pdf", reportlab_pdf(2), "application/pdf")},
        )
    ).json()
    now = clock.now()
    req = await employee.post(
        "/api/v1/requests",
        json={
            "name": f"申请{w.marker}",
            "valid_from": now.isoformat(),
            "valid_until": (now + timedelta(days=3)).isoformat(),
            "document_ids": [doc["id"]],
            "items": [{"seal_id": seal["id"], "presses": 1}],
            "submit": True,
        },
    )
    await keeper.post(f"/api/v1/requests/{req['id']}/approve", json={"comment": "ok"}, expect=200)
    custody = await keeper.post(
        f"/api/v1/seals/{seal['id']}/hand-out",
        json={
            "request_id": req["id"],
            "holder_id": employee.user_id,
            "expected_return_at": (now + timedelta(hours=2)).isoformat(),
        },
    )
    photo = (
        await employee.call(
            "POST",
            f"/api/v1/requests/{req['id']}/photos",
            expect=201,
            files={"file": ("p.png", image(), "image/png")},
        )
    ).json()
    # someone who left and was asked back: an invitation waiting for an answer
    former = await add_member(admin, name=f"前员工{w.marker}", roles=["employee"])
    await admin.delete(f"/api/v1/members/{former.member_id}")
    invitation = await admin.post(
        "/api/v1/members", json={"real_name": f"回归{w.marker}", "phone": former.phone}, expect=202
    )
    # a smart seal in a device, with a command and a fingerprint slot
    smart = await admin.post(
        "/api/v1/seals",
        json={
            "kind": "smart",
            "type": "contract",
            "name": f"智能章{w.marker}",
            "code": f"S{w.marker}",
            "unit_id": unit["id"],
            "keeper_ids": [keeper.user_id],
        },
    )
    device = (
        await admin.post(
            "/api/v1/devices",
            json={
                "serial": f"SN-{uuid.uuid4().hex[:12]}",
                "claim_code": f"claim-{w.marker}",
                "name": f"设备{w.marker}",
                "unit_id": unit["id"],
            },
        )
    )["device"]
    await admin.post(
        f"/api/v1/devices/{device['id']}/bind", json={"seal_id": smart["id"]}, expect=200
    )
    command = await admin.post(
        f"/api/v1/devices/{device['id']}/commands", json={"kind": "time_sync", "params": {}}
    )
    finger = await admin.post(
        f"/api/v1/devices/{device['id']}/fingerprints",
        json={"slot": 3, "user_id": keeper.user_id},
    )
    member_id = employee.member_id
    # no route raises alerts: contexts do, in their own transactions (here as a device would)
    alert = await raise_one(
        app, admin.org_id, seal["id"], kind=TAMPER, request_id=req["id"], subject_type="seal"
    )
    w.ids = {
        "invitation_id": invitation["id"],
        "unit_id": unit["id"],
        "member_id": member_id,
        "role_id": role["id"],
        "key_id": key["id"],
        "seal_id": seal["id"],
        "flow_id": flow["id"],
        "document_id": doc["id"],
        "request_id": req["id"],
        "custody_id": custody["id"],
        "photo_id": photo["id"],
        "alert_id": str(alert.id),
        "device_id": device["id"],
        "command_id": command["id"],
        "fingerprint_id": finger["id"],
        "token": f"no-such-upload-{w.marker}",
    }
    w.readable = [
        f"/api/v1/org/units/{unit['id']}",
        f"/api/v1/members/{member_id}",
        f"/api/v1/roles/{role['id']}",
        f"/api/v1/seals/{seal['id']}",
        f"/api/v1/flows/{flow['id']}",
        f"/api/v1/requests/{req['id']}",
        f"/api/v1/alerts/{alert.id}",
        f"/api/v1/devices/{device['id']}",
    ]
    later = (now + timedelta(days=1)).isoformat()
    w.bodies = {
        ("POST", "/api/v1/org/units/{unit_id}/move"): {"parent_id": unit["id"]},
        ("PUT", "/api/v1/org/units/{unit_id}/supervisors"): {"titles": []},
        ("PATCH", "/api/v1/org/units/{unit_id}"): {"name": "x"},
        ("PATCH", "/api/v1/members/{member_id}"): {"real_name": "x"},
        ("PATCH", "/api/v1/roles/{role_id}"): {"description": "x"},
        ("PATCH", "/api/v1/seals/{seal_id}"): {"description": "x"},
        ("POST", "/api/v1/seals/{seal_id}/status"): {"status": "suspended", "reason": "x"},
        ("POST", "/api/v1/seals/{seal_id}/hand-out"): {
            "request_id": req["id"],
            "holder_id": employee.user_id,
            "expected_return_at": later,
        },
        ("PUT", "/api/v1/flows/{flow_id}"): {
            "name": "x",
            "steps": [{"name": "s", "mode": "any", "approver": {"kind": "seal_keeper"}}],
        },
        ("POST", "/api/v1/requests/{request_id}/reject"): {"comment": "x"},
        ("POST", "/api/v1/requests/{request_id}/transfer"): {"to_user_id": keeper.user_id},
        ("POST", "/api/v1/requests/{request_id}/add-approver"): {"user_id": keeper.user_id},
        ("POST", "/api/v1/requests/{request_id}/add-presses"): {
            "seal_id": seal["id"],
            "presses": 1,
            "reason": "x",
        },
        ("POST", "/api/v1/requests/{request_id}/end"): {"reason": "x"},
        ("POST", "/api/v1/devices/{device_id}/bind"): {"seal_id": smart["id"]},
        ("POST", "/api/v1/devices/{device_id}/transfer"): {"unit_id": unit["id"]},
        ("POST", "/api/v1/devices/{device_id}/commands"): {"kind": "reboot", "params": {}},
        ("POST", "/api/v1/devices/{device_id}/offline-codes"): {"user_id": keeper.user_id},
        ("POST", "/api/v1/devices/{device_id}/fingerprints"): {
            "slot": 4,
            "user_id": keeper.user_id,
        },
        ("POST", "/api/v1/requests/{request_id}/window"): {
            "valid_from": now.isoformat(),
            "valid_until": later,
        },
        ("POST", "/api/v1/alerts/{alert_id}/resolve"): {"comment": "x"},
    }
    await add_esign(w, admin, unit["id"], keeper, employee)
    return w


UPLOADS = {
    ("POST", "/api/v1/org/units/{unit_id}/logo"),
    ("POST", "/api/v1/seals/{seal_id}/image"),
    ("POST", "/api/v1/requests/{request_id}/photos"),
    ("POST", "/api/v1/esign/materials"),
    ("POST", "/api/v1/devices/{device_id}/bundles"),
}


def upload_file() -> dict[str, Any]:
    return {"file": ("x.png", image(), "image/png")}
