"""The demo organisation 演示平台, built through the HTTP API the way people would."""

from __future__ import annotations

import io
from datetime import timedelta
from typing import Any

import httpx
from pypdf import PdfWriter

from sealhub.app import create_app
from sealhub.cli.demo_devices import seed_devices, seed_settings
from sealhub.cli.demo_esign import build_esign
from sealhub.identity import service as identity
from sealhub.inspection.samples.contracts import Contract
from sealhub.inspection.samples.demo import contract as demo_contract
from sealhub.inspection.samples.demo import stamped_photos
from sealhub.platform import clock
from sealhub.platform.runtime import Runtime
from sealhub.platform.settings import get_settings
from sealhub.worker import relay_once

ORG_NAME = "演示平台"
PASSWORD = "Demo2026"
ADMIN_PHONE = "13800000001"
# phone, real name, built-in role, unit key, supervisor title in that unit
PEOPLE = [
    ("13800000002", "张审批", "approver", "admin_dept", "部门经理"),
    ("13800000003", "李管章", "keeper", "admin_dept", None),
    ("13800000004", "王员工", "employee", "admin_dept", None),
    ("13800000005", "赵审计", "auditor", "root", None),
    ("13800000006", "钱信息", "it", "root", None),
    ("13800000007", "孙财务", "approver", "finance", "部门经理"),
    ("13800000008", "周销售", "employee", "sales", None),
    ("13800000009", "吴经理", "approver", "branch", "部门经理"),
]


def demo_pdf(pages: int = 2) -> bytes:
    writer = PdfWriter()
    for _ in range(pages):
        writer.add_blank_page(width=595, height=842)
    buf = io.BytesIO()
    writer.write(buf)
    return buf.getvalue()


class ApiClient:
    """A signed-in caller of the API that fails loudly (seeding must never half-succeed)."""

    def __init__(self, http: httpx.AsyncClient, token: str, label: str) -> None:
        self.http = http
        self.token = token
        self.label = label
        self.headers = {"Authorization": f"Bearer {token}"}

    async def call(self, method: str, url: str, **kw: Any) -> Any:
        r = await self.http.request(method, "/api/v1" + url, headers=self.headers, **kw)
        if r.status_code >= 400:
            raise RuntimeError(f"{self.label}: {method} {url} -> {r.status_code} {r.text}")
        return r.json() if r.content else None


async def login(
    http: httpx.AsyncClient, phone: str, password: str = PASSWORD, label: str = "demo seed"
) -> ApiClient:
    r = await http.post("/api/v1/auth/login", json={"phone": phone, "password": password})
    if r.status_code != 200:
        raise RuntimeError(f"{label}: login {phone} -> {r.status_code} {r.text}")
    return ApiClient(http, r.json()["token"], label)


async def _exists(runtime: Runtime) -> bool:
    async with runtime.transaction() as session:
        return await identity.org_exists_named(session, ORG_NAME)


async def seed(*, force: bool = False) -> tuple[bool, list[tuple[str, str, str]]]:
    """Create the demo organisation unless it exists; returns (created, logins)."""
    logins = [("管理员 admin", ADMIN_PHONE, PASSWORD)] + [
        (f"{name} {role}", phone, PASSWORD) for phone, name, role, _, _ in PEOPLE
    ]
    settings = get_settings()
    if settings.log_level.upper() in ("DEBUG", "INFO"):
        # seeding makes a hundred requests: their access lines would bury the logins
        settings = settings.model_copy(update={"log_level": "WARNING"})
    app = create_app(seed_settings(settings))
    async with app.router.lifespan_context(app):
        runtime: Runtime = app.state.runtime
        if not force and await _exists(runtime):
            return False, logins
        async with runtime.transaction() as session:
            await identity.bootstrap_admin(
                session,
                phone=ADMIN_PHONE,
                password=PASSWORD,
                real_name="演示管理员",
                org_name=ORG_NAME,
            )
        transport = httpx.ASGITransport(app=app, client=("127.0.0.1", 1))
        async with httpx.AsyncClient(transport=transport, base_url="http://demo") as http:
            await _build(http)
            # three smart seals in devices, and the simulators' file
            await seed_devices(await login(http, ADMIN_PHONE), settings.data_dir)
        # deliver the outbox now (the return completes an application) before shutdown
        while await relay_once(runtime):
            pass
    return True, logins


async def _build(http: httpx.AsyncClient) -> None:
    admin = await login(http, ADMIN_PHONE)
    me = await admin.call("GET", "/auth/me")
    root = me["unit_ids"][0]
    units = {"root": root}
    for key, name, parent, kind, code in (
        ("admin_dept", "行政部", "root", "department", "YXXW(001-1)"),
        ("finance", "财务部", "root", "department", "YXXW(001-2)"),
        ("legal", "法务部", "root", "department", "YXXW(001-3)"),
        ("branch", "上海分公司", "root", "branch", "YXXW(002)"),
        ("sales", "销售部", "branch", "department", "YXXW(002-1)"),
    ):
        unit = await admin.call(
            "POST",
            "/org/units",
            json={
                "parent_id": units[parent],
                "name": name,
                "kind": kind,
                "code": code,
                "description": f"{name}（演示数据）",
            },
        )
        units[key] = unit["id"]
    roles = {
        r["builtin_key"]: r["id"]
        for r in (await admin.call("GET", "/roles", params={"page_size": 100}))["items"]
        if r["builtin_key"]
    }
    users: dict[str, str] = {}
    supervisors: dict[str, list[str]] = {}
    for phone, name, role, unit_key, title in PEOPLE:
        member = await admin.call(
            "POST",
            "/members",
            json={
                "real_name": name,
                "phone": phone,
                "password": PASSWORD,
                "role_ids": [roles[role]],
                "unit_ids": [units[unit_key]],
            },
        )
        users[name] = member["user_id"]
        if title:
            supervisors.setdefault(unit_key, []).append(member["user_id"])
    for unit_key, user_ids in supervisors.items():
        await admin.call(
            "PUT",
            f"/org/units/{units[unit_key]}/supervisors",
            json={"titles": [{"title": "部门经理", "user_ids": user_ids}]},
        )
    keeper = users["李管章"]
    seals = {}
    for code, name, kind, type_ in (
        ("YZ-001", "演示平台公章", "physical", "official"),
        ("YZ-002", "合同专用章", "physical", "contract"),
        ("YZ-003", "财务专用章", "physical", "finance"),
        ("DZ-001", "电子公章", "electronic", "official"),
        ("ZN-001", "智能合同章", "smart", "contract"),
    ):
        seal = await admin.call(
            "POST",
            "/seals",
            json={
                "kind": kind,
                "type": type_,
                "name": name,
                "code": code,
                "unit_id": units["admin_dept"],
                "keeper_ids": [keeper],
            },
        )
        seals[code] = seal["id"]
    await admin.call(
        "POST",
        "/flows",
        json={
            "name": "两级审批（部门经理 → 管章人）",
            "description": "默认流程：申请人所在部门经理审批，再由印章保管人审批",
            "priority": 0,
            "steps": [
                {
                    "name": "部门经理审批",
                    "mode": "any",
                    "approver": {"kind": "unit_supervisor", "title": "部门经理"},
                },
                {"name": "管章人审批", "mode": "any", "approver": {"kind": "seal_keeper"}},
            ],
        },
    )
    employee = await login(http, "13800000004")
    approver = await login(http, "13800000002")
    keeper_api = await login(http, "13800000003")
    now = clock.now()

    papers: dict[str, Contract] = {}

    async def apply(name: str, seal_code: str, submit: bool, presses: int = 2) -> str:
        paper, pdf = demo_contract(len(papers) + 1)  # a real contract, for inspection to read
        doc = await employee.call(
            "POST", "/documents", files={"file": (f"{name}.pdf", pdf, "application/pdf")}
        )
        created = await employee.call(
            "POST",
            "/requests",
            json={
                "name": name,
                "reason": "演示数据",
                "urgency": "normal",
                "valid_from": now.isoformat(),
                "valid_until": (now + timedelta(days=7)).isoformat(),
                "document_ids": [doc["id"]],
                "items": [{"seal_id": seals[seal_code], "presses": presses}],
                "submit": submit,
            },
        )
        papers[str(created["id"])] = paper
        return str(created["id"])

    await apply("采购合同（草稿）", "YZ-002", submit=False)
    await apply("租赁合同盖章", "YZ-002", submit=True)
    approved = await apply("年度审计报告盖章", "YZ-001", submit=True)
    for who in (approver, keeper_api):
        await who.call("POST", f"/requests/{approved}/approve", json={"comment": "同意"})
    rejected = await apply("空白页盖章", "YZ-001", submit=True, presses=1)
    await approver.call(
        "POST", f"/requests/{rejected}/reject", json={"comment": "不得在空白页盖章"}
    )
    done = await apply("劳动合同盖章", "YZ-002", submit=True)
    for who in (approver, keeper_api):
        await who.call("POST", f"/requests/{done}/approve", json={"comment": "同意"})
    custody = await keeper_api.call(
        "POST",
        f"/seals/{seals['YZ-002']}/hand-out",
        json={
            "request_id": done,
            "holder_id": users["王员工"],
            "expected_return_at": (now + timedelta(hours=4)).isoformat(),
            "carried_out": False,
        },
    )
    # photos of the three stamped pages, the first with its amount changed: inspection
    # (a background job) finds that page "differs" and raises an alert
    for filename, photo in stamped_photos(papers[done]):
        await employee.call(
            "POST", f"/requests/{done}/photos", files={"file": (filename, photo, "image/jpeg")}
        )
    await keeper_api.call(
        "POST", f"/custody/{custody['id']}/return", json={"note": "已归还", "presses": 1}
    )
    await build_esign(
        admin,
        lambda phone: login(http, phone),
        password=PASSWORD,
        unit_id=units["admin_dept"],
        admin_role_id=roles["admin"],
        keeper_id=keeper,
        employee=employee,
        approver=approver,
        keeper=keeper_api,
        contract_pdf=demo_pdf(2),
    )
