"""Seal test helpers: an organisation with units, keepers and an employee."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from sealhub.platform import clock
from tests.builders import Api, add_member, create_unit, register_org


@dataclass
class Org:
    admin: Api
    root_unit: str
    keeper: Api  # built-in keeper role
    employee: Api  # built-in employee role


async def make_org(client: Any, app: Any, name: str = "印章测试公司") -> Org:
    admin = await register_org(client, app, org_name=name)
    me = await admin.get("/api/v1/auth/me")
    root = str(me["unit_ids"][0])
    keeper = await add_member(admin, name="李管章", roles=["keeper"], unit_ids=[root])
    employee = await add_member(admin, name="张员工", roles=["employee"], unit_ids=[root])
    return Org(admin, root, keeper, employee)


async def new_seal(
    api: Api, unit_id: str, *, code: str, kind: str = "physical", **fields: Any
) -> dict[str, Any]:
    body: dict[str, Any] = {
        "kind": kind,
        "type": "contract",
        "name": f"合同专用章 {code}",
        "code": code,
        "unit_id": unit_id,
        **fields,
    }
    seal: dict[str, Any] = await api.post("/api/v1/seals", json=body)
    return seal


async def approved_request(org: Org, seal: dict[str, Any], holder: Api) -> str:
    """A real application by `holder` for one press of `seal`, approved by its keeper."""
    from tests.storage.samples import reportlab_pdf

    flows = await org.admin.get("/api/v1/flows")
    if not flows["items"]:
        await org.admin.post(
            "/api/v1/flows",
            json={
                "name": "管章人审批",
                "steps": [{"name": "管章人", "mode": "any", "approver": {"kind": "seal_keeper"}}],
            },
        )
    doc = (
        await holder.call(
            "POST",
            "/api/v1/documents",
            expect=201,
            files={"file": ("c.pdf", reportlab_pdf(1), "application/pdf")},
        )
    ).json()
    req = await holder.post(
        "/api/v1/requests",
        json={
            "name": "用章",
            "valid_from": clock.now().isoformat(),
            "valid_until": later(72),
            "document_ids": [doc["id"]],
            "items": [{"seal_id": seal["id"], "presses": 1}],
            "submit": True,
        },
    )
    await org.keeper.post(f"/api/v1/requests/{req['id']}/approve", json={}, expect=200)
    return str(req["id"])


def later(hours: float = 4) -> str:
    return (clock.now() + timedelta(hours=hours)).isoformat()


__all__ = ["Org", "approved_request", "create_unit", "later", "make_org", "new_seal"]
