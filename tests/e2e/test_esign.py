"""E-seals in the browser: an admin applies for an e-seal with a live preview, a reviewer
approves it, the employee drags it onto page 2 of an approved application's PDF, confirms
with an SMS code and downloads a file poppler's pdfsig reports valid; the public
verification page says the same."""

from __future__ import annotations

import io
import random
import re
import shutil
import subprocess
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("playwright.sync_api", reason="playwright is not installed")

import httpx
from playwright.sync_api import Page, expect

from tests.e2e.conftest import DESKTOP, Server, Watch

pytestmark = pytest.mark.browser
PASSWORD = "Passw0rd!x"
expect.set_options(timeout=20_000)


def _phone() -> str:
    return f"136{random.randint(0, 99_999_999):08d}"


def _png(width: int) -> bytes:
    from PIL import Image

    buf = io.BytesIO()
    Image.new("RGB", (width, 30), "white").save(buf, format="PNG")
    return buf.getvalue()


def _pdf(pages: int) -> bytes:
    from reportlab.pdfgen import canvas

    buf = io.BytesIO()
    pdf = canvas.Canvas(buf)
    for n in range(pages):
        pdf.drawString(72, 720, f"Contract page {n + 1}")
        pdf.showPage()
    pdf.save()
    return buf.getvalue()


class Person:
    def __init__(self, server: Server, phone: str) -> None:
        self.phone = phone
        self.http = httpx.Client(base_url=server.url + "/api/v1", timeout=60)
        r = self.http.post("/auth/login", json={"phone": phone, "password": PASSWORD})
        assert r.status_code == 200, r.text
        self.http.headers["Authorization"] = f"Bearer {r.json()['token']}"
        self.user_id = self.http.get("/auth/me").json()["user"]["id"]

    def call(self, method: str, url: str, expect_status: int = 200, **kw: Any) -> Any:
        r = self.http.request(method, url, **kw)
        assert r.status_code == expect_status, f"{method} {url}: {r.status_code} {r.text}"
        return r.json() if r.content else None


def _organisation(server: Server) -> dict[str, Person]:
    phone = _phone()
    with httpx.Client(base_url=server.url + "/api/v1") as http:
        r = http.post("/auth/sms-codes", json={"phone": phone, "purpose": "register"})
        assert r.status_code == 202, r.text
        body = {
            "phone": phone,
            "code": server.sms_code(phone),
            "password": PASSWORD,
            "real_name": "王管理",
            "create_org": {"name": f"电子签章科技{random.randint(100, 999)}有限公司"},
        }
        assert http.post("/auth/register", json=body).status_code == 201
    admin = Person(server, phone)
    roles = {r["builtin_key"]: r["id"] for r in admin.call("GET", "/roles")["items"]}
    people = {"admin": admin}
    for key, name, role in (
        ("reviewer", "赵审核", "admin"),
        ("keeper", "李管章", "keeper"),
        ("employee", "张员工", "employee"),
    ):
        p = _phone()
        admin.call(
            "POST",
            "/members",
            201,
            json={"real_name": name, "phone": p, "password": PASSWORD, "role_ids": [roles[role]]},
        )
        people[key] = Person(server, p)
    admin.call(
        "POST",
        "/flows",
        201,
        json={
            "name": "管章人审批",
            "steps": [{"name": "管章人", "mode": "any", "approver": {"kind": "seal_keeper"}}],
        },
    )
    return people


def _login(page: Page, server: Server, phone: str) -> None:
    page.goto(server.url + "/login")
    page.get_by_placeholder("手机号").fill(phone)
    page.get_by_placeholder("密码", exact=True).fill(PASSWORD)
    page.get_by_role("button", name="登录").click()
    page.wait_for_url(server.url + "/")


def test_apply_approve_drag_seal_download_verify(
    server: Server, browser: Any, watch: Watch, tmp_path: Path
) -> None:
    people = _organisation(server)
    code = f"E{random.randint(10_000, 99_999)}"

    # the admin designs the seal (live preview) and applies with the two proof materials
    admin = watch.attach(browser.new_context(viewport=DESKTOP, locale="zh-CN").new_page(), "admin")
    _login(admin, server, people["admin"].phone)
    admin.goto(server.url + "/esign/applications")
    admin.locator("[data-test=esign-apply]").click()
    expect(admin.locator("[data-test=esign-preview]")).to_be_visible()
    admin.locator("input[data-test=esign-seal-code]").fill(code)
    (lic, letter) = (tmp_path / "licence.png", tmp_path / "letter.png")
    lic.write_bytes(_png(40))
    letter.write_bytes(_png(41))
    admin.locator(".el-dialog .el-upload input[type=file]").nth(0).set_input_files(str(lic))
    expect(admin.get_by_text("licence.png")).to_be_visible()
    admin.locator(".el-dialog .el-upload input[type=file]").nth(1).set_input_files(str(letter))
    expect(admin.get_by_text("letter.png")).to_be_visible()
    admin.locator("[data-test=esign-submit]").click()
    expect(admin.locator("[data-test=esign-applications]").get_by_text(code)).to_be_visible()

    # another administrator reviews and approves it
    reviewer = watch.attach(
        browser.new_context(viewport=DESKTOP, locale="zh-CN").new_page(), "reviewer"
    )
    _login(reviewer, server, people["reviewer"].phone)
    reviewer.goto(server.url + "/esign/applications")
    reviewer.locator(f"[data-test=approve-{code}]").click()
    expect(reviewer.locator("[data-test=esign-applications]").get_by_text("已通过")).to_be_visible()

    # the seal is in the registry; the employee's application with it is approved (API)
    apps = people["admin"].call("GET", "/esign/applications")["items"]
    seal_id = next(a["seal_id"] for a in apps if a["seal_code"] == code)
    people["admin"].call(
        "PATCH", f"/seals/{seal_id}", json={"keeper_ids": [people["keeper"].user_id]}
    )
    employee = people["employee"]
    doc = employee.call(
        "POST", "/documents", 201, files={"file": ("合同.pdf", _pdf(3), "application/pdf")}
    )
    now = datetime.now(UTC)
    req = employee.call(
        "POST",
        "/requests",
        201,
        json={
            "name": "签署采购合同",
            "valid_from": now.isoformat(),
            "valid_until": (now + timedelta(days=2)).isoformat(),
            "document_ids": [doc["id"]],
            "items": [{"seal_id": seal_id, "presses": 1}],
            "submit": True,
        },
    )
    people["keeper"].call("POST", f"/requests/{req['id']}/approve", json={})

    # the employee drags the seal onto page 2, confirms with an SMS code, downloads
    page = watch.attach(
        browser.new_context(viewport=DESKTOP, locale="zh-CN", accept_downloads=True).new_page(),
        "employee",
    )
    _login(page, server, employee.phone)
    page.goto(server.url + "/esign/seal")
    page.locator("[data-test=seal-request]").click()
    page.locator(".el-select__popper:visible").get_by_text(re.compile("签署采购合同")).first.click()
    expect(page.locator("[data-test=seal-page]")).to_have_text("1 / 3")
    page.locator("[data-test=seal-next]").click()
    expect(page.locator("[data-test=seal-page]")).to_have_text("2 / 3")
    chip = page.locator("[data-test=seal-chip]")
    expect(chip).to_be_visible()
    canvas = page.locator("[data-test=seal-canvas]")
    box = canvas.bounding_box()
    cb = chip.bounding_box()
    assert box and cb
    page.mouse.move(cb["x"] + cb["width"] / 2, cb["y"] + cb["height"] / 2)
    page.mouse.down()
    page.mouse.move(box["x"] + box["width"] * 0.6, box["y"] + box["height"] * 0.6, steps=8)
    page.mouse.up()
    expect(page.locator("[data-test=seal-placed]")).to_contain_text("第 2 页")
    page.locator("[data-test=seal-send-code]").click()
    page.locator("input[data-test=seal-secret]").fill(server.sms_code(employee.phone))
    page.locator("[data-test=seal-submit]").click()
    expect(page.locator("[data-test=seal-result]")).to_be_visible()
    with page.expect_download() as info:
        page.locator("[data-test=seal-download]").click()
    sealed = tmp_path / "sealed.pdf"
    info.value.save_as(sealed)

    sealings = employee.call("GET", f"/esign/requests/{req['id']}/sealings")
    assert sealings[0]["placements"][0]["page"] == 1  # page 2, 0-based
    if shutil.which("pdfsig"):
        text = subprocess.run(["pdfsig", str(sealed)], capture_output=True, text=True).stdout
        assert "Signature is Valid" in text and "Total document signed" in text, text

    # the public verification page (no sign-in) shows the same verdict
    public = watch.attach(
        browser.new_context(viewport=DESKTOP, locale="zh-CN").new_page(), "public"
    )
    public.goto(server.url + "/verify")
    public.locator("[data-test=verify-upload] input[type=file]").set_input_files(str(sealed))
    expect(public.locator("[data-test=verify-verdict]")).to_contain_text("文件签章有效")
    expect(
        public.locator("[data-test=verify-signatures]").get_by_text("电子签章科技")
    ).to_be_visible()
    public.goto(server.url + f"/verify/{sealings[0]['verify_token']}")
    expect(public.locator("[data-test=verify-verdict]")).to_contain_text("文件签章有效")
    watch.assert_clean()
