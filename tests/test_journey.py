"""The journey of one stamp, end to end through a real server process:
sign-up by SMS, org tree, role, members, seals, a two-step flow, an application approved
at both steps, the physical seal handed out and taken back, the application completed,
and the audit trail naming every step's actor."""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest

from sealhub.platform.db import migrate
from tests.builders import PASSWORD, next_phone
from tests.storage.samples import image, reportlab_pdf
from tests.support.server import last_sms_code, running_servers, server_env


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path]]:
    tmp = tmp_path_factory.mktemp("journey")
    url = f"sqlite+aiosqlite:///{tmp / 'journey.sqlite'}"
    migrate.upgrade(url)
    with running_servers(server_env(url, tmp)) as urls:
        yield urls[0], tmp


class Client:
    def __init__(self, base: str, token: str) -> None:
        self.http = httpx.Client(
            base_url=base + "/api/v1", headers={"Authorization": f"Bearer {token}"}
        )

    def do(self, method: str, url: str, expect: int = 200, **kw: object) -> dict:
        r = self.http.request(method, url, **kw)  # type: ignore[arg-type]
        assert r.status_code == expect, f"{method} {url}: {r.status_code} {r.text}"
        return r.json() if r.content else {}


def login(base: str, phone: str) -> Client:
    r = httpx.post(f"{base}/api/v1/auth/login", json={"phone": phone, "password": PASSWORD})
    assert r.status_code == 200, r.text
    return Client(base, r.json()["token"])


def test_journey_of_one_stamp(server):
    base, data_dir = server
    phone = next_phone()
    assert (
        httpx.post(
            f"{base}/api/v1/auth/sms-codes", json={"phone": phone, "purpose": "register"}
        ).status_code
        == 202
    )
    r = httpx.post(
        f"{base}/api/v1/auth/register",
        json={
            "phone": phone,
            "code": last_sms_code(data_dir, phone),
            "password": PASSWORD,
            "real_name": "周管理",
            "create_org": {"name": "旅程科技有限公司"},
        },
    )
    assert r.status_code == 201 and r.json()["status"] == "active", r.text
    admin = login(base, phone)
    root = admin.do("GET", "/auth/me")["unit_ids"][0]

    legal = admin.do(
        "POST", "/org/units", 201, json={"parent_id": root, "name": "法务部", "code": "LVC(001-1)"}
    )
    team = admin.do("POST", "/org/units", 201, json={"parent_id": legal["id"], "name": "合同组"})
    role = admin.do(
        "POST",
        "/roles",
        201,
        json={
            "name": "合同专员",
            "permissions": ["seal.read", "request.create", "org.read"],
            "data_scope": "self",
        },
    )
    roles = {
        r["builtin_key"]: r["id"]
        for r in admin.do("GET", "/roles", params={"page_size": 50})["items"]
    }

    def member(name: str, role_ids: list[str], unit: str) -> tuple[str, Client]:
        p = next_phone()
        m = admin.do(
            "POST",
            "/members",
            201,
            json={
                "real_name": name,
                "phone": p,
                "password": PASSWORD,
                "role_ids": role_ids,
                "unit_ids": [unit],
            },
        )
        return m["user_id"], login(base, p)

    boss_id, boss = member("吴部长", [roles["approver"]], legal["id"])
    keeper_id, keeper = member("郑管章", [roles["keeper"]], root)
    employee_id, employee = member("冯专员", [role["id"]], team["id"])
    _, auditor = member("陈审计", [roles["auditor"]], root)
    admin.do(
        "PUT",
        f"/org/units/{legal['id']}/supervisors",
        json={"titles": [{"title": "部门经理", "user_ids": [boss_id]}]},
    )

    seal = admin.do(
        "POST",
        "/seals",
        201,
        json={
            "kind": "physical",
            "type": "contract",
            "name": "合同专用章",
            "code": "HT-01",
            "unit_id": root,
            "keeper_ids": [keeper_id],
        },
    )
    admin.do(
        "POST",
        "/seals",
        201,
        json={
            "kind": "electronic",
            "type": "official",
            "name": "电子公章",
            "code": "DZ-01",
            "unit_id": root,
        },
    )
    admin.do(
        "POST",
        "/flows",
        201,
        json={
            "name": "合同用印",
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

    preview = employee.do("POST", "/flows/preview", json={"seal_ids": [seal["id"]], "presses": 2})
    assert [[a["real_name"] for a in s["approvers"]] for s in preview["steps"]] == [
        ["吴部长"],
        ["郑管章"],
    ]
    doc = employee.do(
        "POST",
        "/documents",
        201,
        files={"file": ("采购合同.pdf", reportlab_pdf(3), "application/pdf")},
    )
    assert doc["pages"] == 3
    now = datetime.now(UTC)
    req = employee.do(
        "POST",
        "/requests",
        201,
        json={
            "name": "采购合同盖章",
            "reason": "与供应商签约",
            "valid_from": now.isoformat(),
            "valid_until": (now + timedelta(days=2)).isoformat(),
            "document_ids": [doc["id"]],
            "items": [{"seal_id": seal["id"], "presses": 2, "pages": "1,3"}],
            "submit": True,
        },
    )
    rid = req["id"]
    assert req["status"] == "in_review"
    assert [r["id"] for r in boss.do("GET", "/requests", params={"box": "pending"})["items"]] == [
        rid
    ]
    boss.do("POST", f"/requests/{rid}/approve", json={"comment": "同意"})
    assert keeper.do("GET", f"/requests/{rid}")["status"] == "in_review"
    assert (
        keeper.do("POST", f"/requests/{rid}/approve", json={"comment": "可以用印"})["status"]
        == "approved"
    )

    custody = keeper.do(
        "POST",
        f"/seals/{seal['id']}/hand-out",
        201,
        json={
            "request_id": rid,
            "holder_id": employee_id,
            "expected_return_at": (now + timedelta(hours=3)).isoformat(),
        },
    )
    assert employee.do("GET", f"/requests/{rid}")["status"] == "in_use"
    employee.do(
        "POST", f"/requests/{rid}/photos", 201, files={"file": ("page1.png", image(), "image/png")}
    )
    keeper.do("POST", f"/custody/{custody['id']}/return", json={"note": "完好归还", "presses": 1})
    deadline = time.monotonic() + 10
    while (status := employee.do("GET", f"/requests/{rid}")["status"]) != "completed":
        assert time.monotonic() < deadline, f"still {status}"
        time.sleep(0.2)
    assert employee.do("GET", f"/requests/{rid}")["items"][0]["presses_used"] == 1

    trail = auditor.do("GET", "/audit", params={"page_size": 200})["items"]
    by_action: dict[str, set[str]] = {}
    for entry in trail:
        by_action.setdefault(entry["action"], set()).add(entry["actor_name"])
    expected = {
        "org.create": "周管理",
        "unit.create": "周管理",
        "role.create": "周管理",
        "member.create": "周管理",
        "seal.create": "周管理",
        "flow.create": "周管理",
        "request.create": "冯专员",
        "request.submit": "冯专员",
        "request.approve": "吴部长",
        "seal.hand_out": "郑管章",
        "request.upload_photo": "冯专员",
        "seal.take_back": "郑管章",
    }
    for action, actor in expected.items():
        assert actor in by_action.get(action, set()), (
            f"{action} by {actor} missing: {by_action.get(action)}"
        )
    assert "郑管章" in by_action["request.approve"]
    assert "request.complete" in by_action
    # the same trail for the application alone, oldest last
    mine = auditor.do("GET", "/audit", params={"target_id": rid})["items"]
    assert {"request.create", "request.approve", "request.complete"} <= {e["action"] for e in mine}
    csv = auditor.http.get("/audit/export.csv", params={"target_id": rid})
    assert csv.status_code == 200 and "request.create" in csv.text and "冯专员" in csv.text
