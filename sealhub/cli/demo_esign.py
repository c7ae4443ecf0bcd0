"""The demo organisation's e-seal: applied for with its proof materials, approved by a
second administrator (nobody reviews their own application), its certificate issued, and one
contract sealed through an approved application with a password confirmation."""

from __future__ import annotations

import io
from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import Any

from PIL import Image

from sealhub.platform import clock

REVIEWER = ("13800000010", "陈印务")


def _scan(text_width: int) -> bytes:
    # a stand-in scan of a business licence / authorisation letter
    buf = io.BytesIO()
    Image.new("RGB", (text_width, 180), (250, 250, 245)).save(buf, format="PNG")
    return buf.getvalue()


async def build_esign(
    admin: Any,
    login: Callable[[str], Awaitable[Any]],
    *,
    password: str,
    unit_id: str,
    admin_role_id: str,
    keeper_id: str,
    employee: Any,
    approver: Any,
    keeper: Any,
    contract_pdf: bytes,
) -> None:
    await admin.call(
        "POST",
        "/members",
        json={
            "real_name": REVIEWER[1],
            "phone": REVIEWER[0],
            "password": password,
            "role_ids": [admin_role_id],
            "unit_ids": [unit_id],
        },
    )
    reviewer = await login(REVIEWER[0])
    materials = []
    for name, width in (("营业执照.png", 240), ("授权书.png", 241)):
        obj = await admin.call(
            "POST", "/esign/materials", files={"file": (name, _scan(width), "image/png")}
        )
        materials.append(obj["id"])
    application = await admin.call(
        "POST",
        "/esign/applications",
        json={
            "seal_type": "contract",
            "seal_name": "电子合同专用章",
            "seal_code": "DZ-002",
            "unit_id": unit_id,
            "design": {"shape": "round", "org_name": "演示科技有限公司", "title": "合同专用章"},
            "licence_object_id": materials[0],
            "authorisation_object_id": materials[1],
            "reason": "线上签署销售合同",
        },
    )
    done = await reviewer.call(
        "POST",
        f"/esign/applications/{application['id']}/review",
        json={"approve": True, "comment": "材料齐全，同意", "credit_code": "91310115MA1K4DEMO1"},
    )
    seal_id = done["seal_id"]
    await admin.call("PATCH", f"/seals/{seal_id}", json={"keeper_ids": [keeper_id]})
    doc = await employee.call(
        "POST", "/documents", files={"file": ("销售合同.pdf", contract_pdf, "application/pdf")}
    )
    now = clock.now()
    request = await employee.call(
        "POST",
        "/requests",
        json={
            "name": "销售合同电子签章",
            "reason": "演示数据",
            "urgency": "normal",
            "valid_from": now.isoformat(),
            "valid_until": (now + timedelta(days=7)).isoformat(),
            "document_ids": [doc["id"]],
            "items": [{"seal_id": seal_id, "presses": 2}],
            "submit": True,
        },
    )
    for who in (approver, keeper):
        await who.call("POST", f"/requests/{request['id']}/approve", json={"comment": "同意"})
    await employee.call(
        "POST",
        f"/esign/requests/{request['id']}/sealings",
        json={
            "document_id": doc["id"],
            "placements": [{"seal_id": seal_id, "mode": "position", "page": 1, "x": 380, "y": 120}],
            "willingness": {"method": "password", "secret": password},
            "qr": False,  # esigncore draws QR codes on pages with content only (see report)
        },
    )
