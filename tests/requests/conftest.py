"""Application test helpers: an organisation with a department, its supervisor, a keeper,
an employee, seals, a two-step flow, and real PDFs."""

from __future__ import annotations

import functools
import io
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from reportlab.pdfgen import canvas

from sealhub.platform import clock
from tests.builders import Api, add_member, create_unit, register_org


@functools.cache
def pdf_bytes(pages: int = 3, text: str = "合同") -> bytes:
    """A real PDF with `pages` pages."""
    buf = io.BytesIO()
    pdf = canvas.Canvas(buf)
    for n in range(pages):
        pdf.drawString(72, 720, f"{text} page {n + 1}")
        pdf.showPage()
    pdf.save()
    return buf.getvalue()


@functools.cache
def png_bytes(seed: int = 0) -> bytes:
    from PIL import Image

    img = Image.new("RGB", (64, 48), (seed % 256, 120, 200))
    buf = io.BytesIO()
    img.save(buf, format="PNG")
    return buf.getvalue()


def at(hours: float) -> str:
    return (clock.now() + timedelta(hours=hours)).isoformat()


SUPERVISOR = "负责人"


@dataclass
class World:
    admin: Api
    root: str
    dept: str
    boss: Api  # the department's supervisor (approver role)
    keeper: Api  # keeps the physical seal
    employee: Api  # applies
    colleague: Api  # another approver in the department
    seal: dict[str, Any]  # physical contract seal kept by `keeper`
    eseal: dict[str, Any]  # electronic official seal kept by `keeper`
    flow: dict[str, Any] = field(default_factory=dict)
    doc: dict[str, Any] = field(default_factory=dict)


async def upload(api: Api, data: bytes, name: str = "合同.pdf", expect: int = 201) -> Any:
    kind = "application/pdf" if name.endswith(".pdf") else "image/png"
    r = await api.call(
        "POST", "/api/v1/documents", files={"file": (name, data, kind)}, expect=expect
    )
    return r.json()


def two_steps(mode2: str = "any") -> list[dict[str, Any]]:
    return [
        {"name": "部门负责人审批", "approver": {"kind": "unit_supervisor", "title": SUPERVISOR}},
        {"name": "管章人审批", "mode": mode2, "approver": {"kind": "seal_keeper"}},
    ]


async def make_flow(admin: Api, steps: list[dict[str, Any]], **kw: Any) -> dict[str, Any]:
    body = {"name": kw.pop("name", "用章审批"), "steps": steps, **kw}
    flow: dict[str, Any] = await admin.post("/api/v1/flows", json=body)
    return flow


async def make_world(client: Any, app: Any, *, flow: bool = True) -> World:
    admin = await register_org(client, app, org_name="用章测试公司")
    me = await admin.get("/api/v1/auth/me")
    root = str(me["unit_ids"][0])
    dept = (await create_unit(admin, "销售部"))["id"]
    boss = await add_member(admin, name="赵经理", roles=["approver"], unit_ids=[dept])
    keeper = await add_member(admin, name="李管章", roles=["keeper"], unit_ids=[root])
    employee = await add_member(admin, name="张员工", roles=["employee"], unit_ids=[dept])
    colleague = await add_member(admin, name="钱审批", roles=["approver"], unit_ids=[dept])
    await admin.put(
        f"/api/v1/org/units/{dept}/supervisors",
        json={"titles": [{"title": SUPERVISOR, "user_ids": [boss.user_id]}]},
    )
    seal = await admin.post(
        "/api/v1/seals",
        json={
            "kind": "physical",
            "type": "contract",
            "name": "合同专用章",
            "code": "HT-001",
            "unit_id": root,
            "keeper_ids": [keeper.user_id],
        },
    )
    eseal = await admin.post(
        "/api/v1/seals",
        json={
            "kind": "electronic",
            "type": "official",
            "name": "电子公章",
            "code": "DZ-001",
            "unit_id": root,
            "keeper_ids": [keeper.user_id],
        },
    )
    world = World(admin, root, dept, boss, keeper, employee, colleague, seal, eseal)
    if flow:
        world.flow = await make_flow(admin, two_steps())
    world.doc = await upload(employee, pdf_bytes())
    return world


def application(world: World, *, submit: bool = True, **over: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "name": "销售合同用印",
        "reason": "与客户签订年度合同",
        "urgency": "normal",
        "valid_from": at(-1),
        "valid_until": at(48),
        "document_ids": [world.doc["id"]],
        "items": [{"seal_id": world.seal["id"], "presses": 2, "pages": "1,3"}],
        "submit": submit,
    }
    body.update(over)
    return body


async def apply(world: World, api: Api | None = None, **over: Any) -> dict[str, Any]:
    result: dict[str, Any] = await (api or world.employee).post(
        "/api/v1/requests", json=application(world, **over)
    )
    return result


async def approve_all(world: World, req: dict[str, Any]) -> dict[str, Any]:
    rid = req["id"]
    await world.boss.post(f"/api/v1/requests/{rid}/approve", json={"comment": "同意"}, expect=200)
    done: dict[str, Any] = await world.keeper.post(
        f"/api/v1/requests/{rid}/approve", json={}, expect=200
    )
    return done
