"""The e-seal part of tests/world.py: one of each e-seal object, built through the API."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sealhub.platform import clock
from tests.builders import PASSWORD, Api, add_member
from tests.storage.samples import image, reportlab_pdf


# the body of a sealing (POST /esign/requests/{request_id}/sealings) of a world's e-seal
def sealing_body(document_id: str, seal_id: str) -> dict[str, Any]:
    return {
        "document_id": document_id,
        "placements": [{"seal_id": seal_id, "mode": "position", "page": 0, "x": 100, "y": 100}],
        "willingness": {"method": "password", "secret": PASSWORD},
    }


async def add_esign(w: Any, admin: Api, unit_id: str, keeper: Api, employee: Api) -> None:
    """An approved e-seal (kept by the keeper and the admin), a pending application, the
    employee's approved application with it, one sealing."""
    m = w.marker
    reviewer = await add_member(admin, name=f"审核{m}", roles=["admin"], unit_ids=[unit_id])

    async def material(name: str) -> str:
        r = await admin.call(
            "POST",
            "/api/v1/esign/materials",
            expect=201,
            files={"file": (name, image(), "image/png")},
        )
        return str(r.json()["id"])

    licence = await material("licence.png")

    async def apply(code: str) -> dict[str, Any]:
        body = {
            "seal_type": "contract",
            "seal_name": f"电子合同章{m}",
            "seal_code": code,
            "unit_id": unit_id,
            "design": {"shape": "round", "org_name": "测试公司", "title": "合同专用章"},
            "licence_object_id": licence,
            "authorisation_object_id": await material("letter.png"),
        }
        result: dict[str, Any] = await admin.post("/api/v1/esign/applications", json=body)
        return result

    approved = await apply(f"E{m}")
    done = await reviewer.post(
        f"/api/v1/esign/applications/{approved['id']}/review", json={"approve": True}, expect=200
    )
    pending = await apply(f"P{m}")
    seal_id = done["seal_id"]
    await admin.patch(
        f"/api/v1/seals/{seal_id}", json={"keeper_ids": [keeper.user_id, admin.user_id]}
    )
    doc = (
        await employee.call(
            "POST",
            "/api/v1/documents",
            expect=201,
            files={"file": ("e.pdf", reportlab_pdf(2), "application/pdf")},
        )
    ).json()
    now = clock.now()
    req = await employee.post(
        "/api/v1/requests",
        json={
            "name": f"电子用章{m}",
            "valid_from": now.isoformat(),
            "valid_until": (now + timedelta(days=3)).isoformat(),
            "document_ids": [doc["id"]],
            "items": [{"seal_id": seal_id, "presses": 3}],
            "submit": True,
        },
    )
    await keeper.post(f"/api/v1/requests/{req['id']}/approve", json={}, expect=200)
    sealing = await employee.post(
        f"/api/v1/esign/requests/{req['id']}/sealings", json=sealing_body(doc["id"], seal_id)
    )
    ca = await admin.get("/api/v1/esign/ca")
    w.ids.update(
        {
            "application_id": pending["id"],
            "certificate_id": done["certificate_id"],
            "sealing_id": sealing["id"],
            "ca_id": ca["id"],
            "token": sealing["verify_token"],
            "material_id": licence,
            "esign_seal_id": seal_id,
            "esign_request_id": req["id"],
            "esign_document_id": doc["id"],
        }
    )
    w.readable += [
        f"/api/v1/esign/applications/{pending['id']}",
        f"/api/v1/esign/certificates/{done['certificate_id']}",
    ]
    w.bodies.update(
        {
            ("POST", "/api/v1/esign/applications/{application_id}/review"): {
                "approve": False,
                "comment": "x",
            },
            ("POST", "/api/v1/esign/certificates/{certificate_id}/revoke"): {"reason": "x"},
            ("POST", "/api/v1/esign/requests/{request_id}/sealings"): sealing_body(
                doc["id"], seal_id
            ),
        }
    )
