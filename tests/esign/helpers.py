"""E-seal test helpers: an organisation that applies for, approves and uses an e-seal, all
through the HTTP API the way people do."""

from __future__ import annotations

import shutil
import subprocess
import uuid
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

from sealhub.platform import clock
from tests.builders import PASSWORD, Api, add_member, register_org
from tests.storage.samples import image, reportlab_pdf

DESIGN = {"shape": "round", "org_name": "上海测试科技有限公司", "title": "合同专用章", "code": ""}


@dataclass
class EsignOrg:
    admin: Api  # applies for e-seals
    reviewer: Api  # a second administrator: nobody reviews their own application
    keeper: Api
    employee: Api
    root_unit: str


async def esign_org(client: Any, app: Any, name: str = "上海测试科技有限公司") -> EsignOrg:
    admin = await register_org(client, app, org_name=name)
    me = await admin.get("/api/v1/auth/me")
    root = str(me["unit_ids"][0])
    reviewer = await add_member(admin, name="赵审核", roles=["admin"], unit_ids=[root])
    keeper = await add_member(admin, name="李管章", roles=["keeper"], unit_ids=[root])
    employee = await add_member(admin, name="张员工", roles=["employee"], unit_ids=[root])
    return EsignOrg(admin, reviewer, keeper, employee, root)


async def material(api: Api, name: str = "licence.png") -> str:
    r = await api.call(
        "POST", "/api/v1/esign/materials", expect=201, files={"file": (name, image(), "image/png")}
    )
    return str(r.json()["id"])


async def apply_eseal(org: EsignOrg, *, code: str | None = None, **design: Any) -> dict[str, Any]:
    body = {
        "seal_type": "contract",
        "seal_name": "合同专用章",
        "seal_code": code or f"E{uuid.uuid4().hex[:8]}",
        "unit_id": org.root_unit,
        "design": {**DESIGN, **design},
        "licence_object_id": await material(org.admin),
        "authorisation_object_id": await material(org.admin, "letter.png"),
        "reason": "合同签署",
    }
    result: dict[str, Any] = await org.admin.post("/api/v1/esign/applications", json=body)
    return result


async def approved_eseal(org: EsignOrg, **design: Any) -> dict[str, Any]:
    """An e-seal applied for by the admin and approved by the reviewer; the keeper keeps it."""
    application = await apply_eseal(org, **design)
    done = await org.reviewer.post(
        f"/api/v1/esign/applications/{application['id']}/review",
        json={"approve": True, "comment": "材料齐全", "credit_code": "91310000MA1FL0000X"},
        expect=200,
    )
    await org.admin.patch(
        f"/api/v1/seals/{done['seal_id']}", json={"keeper_ids": [org.keeper.user_id]}
    )
    seal: dict[str, Any] = await org.admin.get(f"/api/v1/seals/{done['seal_id']}")
    seal["application"] = done
    return seal


async def approved_request(
    org: EsignOrg,
    seal: dict[str, Any],
    *,
    pages: int = 3,
    presses: int = 1,
    pdf: bytes | None = None,
) -> tuple[str, str]:
    """The employee's application for `seal` with a PDF, approved by the keeper: (request, doc)."""
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
        await org.employee.call(
            "POST",
            "/api/v1/documents",
            expect=201,
            files={"file": ("合同.pdf", pdf or reportlab_pdf(pages), "application/pdf")},
        )
    ).json()
    now = clock.now()
    req = await org.employee.post(
        "/api/v1/requests",
        json={
            "name": "签署合同",
            "valid_from": now.isoformat(),
            "valid_until": (now + timedelta(days=3)).isoformat(),
            "document_ids": [doc["id"]],
            "items": [{"seal_id": seal["id"], "presses": presses}],
            "submit": True,
        },
    )
    await org.keeper.post(f"/api/v1/requests/{req['id']}/approve", json={}, expect=200)
    return str(req["id"]), str(doc["id"])


def seal_body(
    doc_id: str, seal_id: str, *, secret: str = PASSWORD, **placement: Any
) -> dict[str, Any]:
    return {
        "document_id": doc_id,
        "placements": [
            {"seal_id": seal_id, "mode": "position", "page": 1, "x": 300, "y": 200, **placement}
        ],
        "willingness": {"method": "password", "secret": secret},
    }


def pdfsig(pdf: bytes, tmp: Path, ca_pem: str | None = None) -> str:
    """poppler's report of a PDF's signatures (it exits 0 for bad ones too: read the text)."""
    path = tmp / f"{uuid.uuid4().hex}.pdf"
    path.write_bytes(pdf)
    args = ["pdfsig"]
    if ca_pem is not None:
        nss = tmp / f"nss-{uuid.uuid4().hex[:6]}"
        nss.mkdir()
        ca = nss / "ca.pem"
        ca.write_text(ca_pem)
        subprocess.run(["certutil", "-N", "-d", f"sql:{nss}", "--empty-password"], check=True)
        subprocess.run(
            ["certutil", "-A", "-d", f"sql:{nss}", "-n", "ca", "-t", "CT,CT,CT", "-i", str(ca)],
            check=True,
        )
        args += ["-nssdir", f"sql:{nss}"]
    out = subprocess.run([*args, str(path)], capture_output=True, text=True, check=False)
    return out.stdout + out.stderr


HAVE_PDFSIG = shutil.which("pdfsig") is not None and shutil.which("certutil") is not None


def cjk_pdf(pages: int, line: str) -> bytes:
    """A contract whose last page says `line` in an embedded CJK font (as word processors do)."""
    import io

    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.ttfonts import TTFont
    from reportlab.pdfgen import canvas

    if "WQY" not in pdfmetrics.getRegisteredFontNames():
        font = "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc"
        pdfmetrics.registerFont(TTFont("WQY", font, subfontIndex=0))
    buf = io.BytesIO()
    pdf = canvas.Canvas(buf)
    for n in range(pages):
        pdf.setFont("WQY", 14)
        pdf.drawString(72, 760, f"合同 第 {n + 1} 页")
        if n == pages - 1:
            pdf.drawString(300, 300, line)
        pdf.showPage()
    pdf.save()
    return buf.getvalue()


def sqlite_only_unless_marked(request: Any, db_url: str) -> None:
    """PDF work does not depend on the database: these tests run on SQLite only, except
    those marked `all_backends` (the journeys whose queries do)."""
    import pytest

    if request.node.get_closest_marker("all_backends") is None and not db_url.startswith("sqlite"):
        pytest.skip("PDF and image checks: SQLite only (the journeys run on every backend)")
