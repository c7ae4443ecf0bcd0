"""The console end to end, as people use it: sign up, set up, apply, approve, use, complete.

Plain (non-async) tests on purpose: Playwright's sync API refuses to run inside the event
loop pytest-asyncio runs async tests in.
"""

from __future__ import annotations

import io
import json
import random
import re
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("playwright.sync_api", reason="playwright is not installed")

from playwright.sync_api import Page, expect

from tests.e2e.conftest import DESKTOP, PHONE, SCREENSHOTS, Server, Watch

pytestmark = pytest.mark.browser

PASSWORD = "Passw0rd!x"
expect.set_options(timeout=10_000)


def _phone() -> str:
    return f"139{random.randint(0, 99_999_999):08d}"


def _pdf(title: str, pages: int = 2) -> bytes:
    from reportlab.lib.pagesizes import A4
    from reportlab.pdfgen import canvas

    buf = io.BytesIO()
    c = canvas.Canvas(buf, pagesize=A4)
    for n in range(1, pages + 1):
        c.setFont("Helvetica", 20)
        c.drawString(72, 760, f"{title} - page {n}")
        c.showPage()
    c.save()
    return buf.getvalue()


def _png() -> bytes:
    """A small red square (a 'photo' of the stamped page)."""
    import struct
    import zlib

    w = h = 64
    raw = b"".join(b"\x00" + b"\xd0\x20\x20" * w for _ in range(h))

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (
            struct.pack(">I", len(data))
            + kind
            + data
            + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)
        )

    ihdr = struct.pack(">IIBBBBB", w, h, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", ihdr)
        + chunk(b"IDAT", zlib.compress(raw))
        + chunk(b"IEND", b"")
    )


def _open(browser: Any, watch: Watch, who: str, viewport: dict[str, int] = DESKTOP) -> Page:
    ctx = browser.new_context(
        viewport=viewport,
        locale="zh-CN",
        device_scale_factor=2 if viewport is PHONE else 1,
        has_touch=viewport is PHONE,
    )
    return watch.attach(ctx.new_page(), who)  # type: ignore[no-any-return]


def _shot(page: Page, name: str) -> None:
    page.wait_for_load_state("networkidle")
    expect(page.locator(".el-loading-mask:visible")).to_have_count(0)
    expect(page.locator(".el-skeleton:visible")).to_have_count(0)
    drawer = page.locator(".el-drawer:visible .el-drawer__body")
    if drawer.count():
        drawer.first.evaluate("el => el.scrollTo(0, 0)")
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)


def _toast(page: Page, text: str) -> None:
    expect(page.locator(".el-message").filter(has_text=text).last).to_be_visible()


def _field(page: Page, scope: str, label: str) -> Any:
    return page.locator(f"{scope} .el-form-item").filter(
        has=page.locator(".el-form-item__label", has_text=re.compile(f"^{re.escape(label)}"))
    )


def _pick(page: Page, text: str) -> None:
    """Choose `text` in the open select / tree-select dropdown."""
    popper = page.locator(".el-select__popper:visible, .el-popper:visible").last
    popper.get_by_text(text, exact=True).first.click()


def _login(page: Page, server: Server, phone: str, password: str = PASSWORD) -> None:
    page.goto(server.url + "/login")
    page.get_by_placeholder("手机号").fill(phone)
    page.get_by_placeholder("密码", exact=True).fill(password)
    page.get_by_role("button", name="登录").click()
    page.wait_for_url(server.url + "/")
    expect(page.locator(".header .avatar")).to_be_visible()


def test_sign_up_set_up_apply_approve_complete(
    server: Server, browser: Any, watch: Watch, shots: Path
) -> None:
    admin_phone, member_phone = _phone(), _phone()
    org = f"测试科技{random.randint(100, 999)}"

    # --- sign up a new organisation -------------------------------------------------
    admin = _open(browser, watch, "admin")
    admin.goto(server.url + "/register")
    admin.get_by_placeholder("手机号").fill(admin_phone)
    admin.get_by_role("button", name="获取验证码").click()
    _toast(admin, "验证码已发送")
    admin.get_by_placeholder("短信验证码").fill(server.sms_code(admin_phone))
    admin.get_by_placeholder("密码", exact=True).fill(PASSWORD)
    admin.get_by_placeholder("确认密码").fill(PASSWORD)
    admin.get_by_placeholder("真实姓名").fill("王创始")
    admin.get_by_text("创建组织", exact=True).click()
    admin.get_by_placeholder("组织名称").fill(org)
    admin.locator(".el-checkbox").filter(has_text="我已阅读并同意").click()
    _shot(admin, "01-register")
    admin.get_by_role("button", name="注册").click()
    admin.wait_for_url(server.url + "/")
    expect(admin.locator(".org-name")).to_have_text(org)
    expect(admin.locator(".stat-label").first).to_be_visible()
    _shot(admin, "02-dashboard")

    # --- a unit ---------------------------------------------------------------------------
    admin.goto(server.url + "/org")
    expect(admin.locator(".el-tree-node__content", has_text=org)).to_be_visible()
    admin.locator("#unit-form").get_by_role("button", name="新增下级").click()
    _field(admin, "#unit-form", "部门名称").locator("input").fill("法务部")
    _field(admin, "#unit-form", "部门编码").locator("input").fill("FW-01")
    admin.locator("#unit-form").get_by_role("button", name="保存").click()
    _toast(admin, "已保存")
    expect(admin.locator(".el-tree-node__content", has_text="法务部")).to_be_visible()
    _shot(admin, "03-org")

    # --- a role with a few permissions ----------------------------------------------------
    admin.goto(server.url + "/roles")
    admin.get_by_role("button", name="新建角色").click()
    dialog = admin.locator(".el-dialog:visible")
    _field(admin, ".el-dialog", "角色名称").locator("input").fill("用印经办人")
    dialog.get_by_role("button", name="保存").click()
    _toast(admin, "已保存")
    row = admin.locator(".el-table__row", has_text="用印经办人")
    row.get_by_role("button", name="权限设置").click()
    drawer = admin.locator(".el-drawer:visible")
    for perm in ("request.create", "seal.read", "flow.read", "org.read"):
        drawer.locator("label.el-checkbox", has_text=perm).click()
    _shot(admin, "04-role-permissions")
    drawer.get_by_role("button", name="保存").click()
    _toast(admin, "已保存")

    # --- a member with that role in the unit ------------------------------------------------
    admin.goto(server.url + "/members")
    admin.get_by_role("button", name="新增人员").click()
    _field(admin, ".el-dialog", "手机号").locator("input").fill(member_phone)
    _field(admin, ".el-dialog", "姓名").locator("input").fill("赵经办")
    _field(admin, ".el-dialog", "角色").locator(".el-select").click()
    _pick(admin, "用印经办人")
    admin.keyboard.press("Escape")
    _field(admin, ".el-dialog", "所属部门").locator(".el-select").click()
    _pick(admin, "法务部")
    admin.keyboard.press("Escape")
    _field(admin, ".el-dialog", "初始密码").locator("input").fill(PASSWORD)
    admin.locator(".el-dialog:visible").get_by_role("button", name="保存").click()
    _toast(admin, "已保存")
    expect(admin.locator(".el-table__row", has_text="赵经办")).to_contain_text("用印经办人")
    _shot(admin, "05-members")

    # --- a physical seal kept by the founder ----------------------------------------------------
    admin.goto(server.url + "/seals")
    admin.get_by_role("button", name="登记印章").click()
    _field(admin, ".el-dialog", "印章名称").locator("input").fill("法务部合同章")
    _field(admin, ".el-dialog", "印章编码").locator("input").fill("FW-HT-001")
    _field(admin, ".el-dialog", "印章类别").get_by_text("实体章").click()
    _field(admin, ".el-dialog", "印章类型").locator(".el-select").click()
    _pick(admin, "合同专用章")
    _field(admin, ".el-dialog", "所属部门").locator(".el-select").click()
    _pick(admin, "法务部")
    admin.keyboard.press("Escape")
    _field(admin, ".el-dialog", "保管人").locator(".el-select").click()
    _pick(admin, "王创始")
    admin.keyboard.press("Escape")
    admin.locator(".el-dialog:visible").get_by_role("button", name="保存").click()
    _toast(admin, "已保存")
    admin.wait_for_url(re.compile(r"/seals/[0-9a-f-]{36}$"))
    expect(admin.locator(".el-descriptions")).to_contain_text("王创始")
    _shot(admin, "06-seal-detail")

    # --- an approval flow in the visual editor: one step, the seal's keeper approves --------
    admin.goto(server.url + "/flows")
    admin.get_by_role("button", name="新建流程").click()
    admin.wait_for_url(server.url + "/flows/new")
    _field(admin, ".page", "流程名称").locator("input").fill("合同用印审批")
    admin.get_by_placeholder("环节名称").fill("管章人审批")
    _field(admin, ".step-card", "审批人类型").locator(".el-select").click()
    _pick(admin, "管章人")
    expect(admin.locator(".flow-diagram")).to_contain_text("管章人审批")
    admin.get_by_role("button", name="保存").click()
    _toast(admin, "已保存")
    admin.wait_for_url(re.compile(r"/flows/[0-9a-f-]{36}$"))
    _shot(admin, "07-flow-editor")

    # --- the member applies with a PDF ----------------------------------------------------------
    member = _open(browser, watch, "member")
    _login(member, server, member_phone)
    member.goto(server.url + "/apply")
    _field(member, ".page", "用印类型").get_by_text("实体章").click()
    _field(member, ".page", "申请名称").locator("input").fill("技术服务合同盖章")
    _field(member, ".page", "用印印章").locator(".el-select").click()
    _pick(member, "法务部合同章")
    member.locator(".el-upload input[type=file]").set_input_files(
        {"name": "技术服务合同.pdf", "mimeType": "application/pdf", "buffer": _pdf("Contract")}
    )
    expect(member.locator(".doc-row")).to_contain_text("2 页")
    expect(member.locator(".el-steps")).to_contain_text("王创始")  # the approver preview
    _field(member, ".page", "用印事由").locator("textarea").fill("与客户签订技术服务合同")
    _shot(member, "08-apply")
    with member.expect_response(
        lambda r: r.url.endswith("/api/v1/requests") and r.request.method == "POST"
    ) as created:
        member.get_by_role("button", name="立即创建").click()
    assert created.value.status == 201, created.value.text()
    request_id = created.value.json()["id"]
    member.wait_for_url(server.url + "/requests/mine")
    expect(member.locator(".el-table__row", has_text="技术服务合同盖章")).to_contain_text("审批中")
    _shot(member, "09-my-applications")

    # --- the keeper approves on a phone ---------------------------------------------------------
    phone = _open(browser, watch, "approver-phone", PHONE)
    _login(phone, server, admin_phone)
    expect(phone.locator(".el-badge__content")).to_have_text("1")
    phone.goto(server.url + "/requests/pending")
    phone.locator(".el-table__row", has_text="技术服务合同盖章").get_by_role(
        "button", name="同意"
    ).click()
    drawer = phone.locator(".el-drawer:visible")
    expect(drawer.locator("canvas")).to_be_visible()  # the PDF rendered by pdf.js
    _shot(phone, "10-phone-approve")
    drawer.locator(".el-drawer__footer").get_by_role("button", name="同意").click()
    box = phone.locator(".el-message-box")
    box.locator("textarea").fill("同意盖章")
    box.get_by_role("button", name="同意").click()
    _toast(phone, "操作成功")
    expect(drawer.locator(".el-descriptions")).to_contain_text("已批准")

    # the keeper hands the seal out to the applicant from the application
    drawer.locator(".el-table__row", has_text="法务部合同章").get_by_role(
        "button", name="外借"
    ).click()
    phone.locator(".el-dialog:visible").get_by_role("button", name="确定").click()
    expect(drawer.locator(".el-descriptions")).to_contain_text("用印中")
    expect(drawer.locator(".el-table__row", has_text="法务部合同章")).to_contain_text("已外借")
    _shot(phone, "11-phone-handed-out")

    # --- the applicant uploads a photo of the stamped page -----------------------------------
    member.goto(f"{server.url}/requests/mine?id={request_id}")
    mdrawer = member.locator(".el-drawer:visible")
    expect(mdrawer.locator(".el-descriptions")).to_contain_text("用印中")
    expect(mdrawer).to_contain_text("请上传盖章页照片")
    mdrawer.locator(".el-upload input[type=file]").set_input_files(
        {"name": "stamped.png", "mimeType": "image/png", "buffer": _png()}
    )
    _toast(member, "照片已上传")
    expect(mdrawer.locator(".photo")).to_have_count(1)
    _shot(member, "12-photo-uploaded")

    # --- the keeper takes the seal back; the application completes --------------------------
    phone.goto(f"{server.url}/requests/all?id={request_id}")
    drawer = phone.locator(".el-drawer:visible")
    drawer.locator(".el-table__row", has_text="法务部合同章").get_by_role(
        "button", name="归还"
    ).click()
    back = phone.locator(".return-dialog")
    expect(back.locator(".el-input-number input")).to_have_value("1")  # the approved presses
    back.get_by_role("button", name="确定").click()
    _toast(phone, "操作成功")
    # completion arrives through the outbox relay: reopen until it shows
    for _ in range(20):
        phone.goto(f"{server.url}/requests/all?id={request_id}")
        status = phone.locator(".el-drawer:visible .el-descriptions .el-tag").first
        expect(status).to_be_visible()
        if status.inner_text() == "已完成":
            break
        phone.wait_for_timeout(250)
    drawer = phone.locator(".el-drawer:visible")
    expect(drawer.locator(".el-descriptions")).to_contain_text("已完成")
    expect(drawer.locator(".el-timeline")).to_contain_text("完成")
    _shot(phone, "13-phone-completed-zh")

    # --- the same screen in English --------------------------------------------------------------
    phone.keyboard.press("Escape")
    expect(phone.locator(".el-drawer:visible")).to_have_count(0)
    phone.locator(".lang-switch").click()
    phone.locator(".el-dropdown-menu__item", has_text="English").click()
    expect(phone.locator(".el-table__header")).to_contain_text("Status")
    phone.locator(".el-table__row").first.get_by_role("button", name="View").click()
    drawer = phone.locator(".el-drawer:visible")
    expect(drawer.locator(".el-descriptions")).to_contain_text("Completed")
    expect(drawer.locator(".el-descriptions")).to_contain_text("Applicant")
    expect(drawer).to_contain_text("Approval tasks")
    _shot(phone, "14-phone-completed-en")

    member.goto(f"{server.url}/requests/mine?id={request_id}")
    expect(member.locator(".el-drawer:visible .el-descriptions")).to_contain_text("已完成")

    for page in (admin, member, phone):
        page.context.close()
    watch.assert_clean()


def test_login_page_first_load(server: Server, browser: Any, watch: Watch) -> None:
    """Cold cache: a fresh context loads the login page; navigation start → load event."""
    ctx = browser.new_context(viewport=DESKTOP)
    page = watch.attach(ctx.new_page(), "cold")
    page.goto(server.url + "/login", wait_until="load")
    expect(page.get_by_role("button", name="登录")).to_be_visible()
    timing = page.evaluate(
        """() => {
          const n = performance.getEntriesByType('navigation')[0];
          const res = performance.getEntriesByType('resource');
          return {
            load_ms: Math.round(n.loadEventEnd - n.startTime),
            dom_content_loaded_ms: Math.round(n.domContentLoadedEventEnd - n.startTime),
            transferred_bytes: n.transferSize + res.reduce((s, r) => s + (r.transferSize || 0), 0),
            requests: res.length + 1,
          };
        }"""
    )
    page.screenshot(path=str(SCREENSHOTS / "00-login.png"))
    (SCREENSHOTS.parent / "login-first-load.json").write_text(json.dumps(timing, indent=2))
    print(f"login first load: {timing}")
    assert 0 < timing["load_ms"] < 3000, timing
    ctx.close()
    watch.assert_clean()


def _api_org(server: Server) -> str:
    """Sign up an organisation through the API (the UI path is covered above); its admin's phone."""
    import httpx

    phone = _phone()
    with httpx.Client(base_url=server.url + "/api/v1") as http:
        r = http.post("/auth/sms-codes", json={"phone": phone, "purpose": "register"})
        assert r.status_code == 202, r.text
        body = {
            "phone": phone,
            "code": server.sms_code(phone),
            "password": PASSWORD,
            "real_name": "李管理",
            "create_org": {"name": f"巡检公司{random.randint(100, 999)}"},
        }
        r = http.post("/auth/register", json=body)
        assert r.status_code == 201, r.text
    return phone


SCREENS = [
    "/",
    "/apply",
    "/requests/mine",
    "/requests/pending",
    "/requests/decided",
    "/requests/all",
    "/seals",
    "/flows",
    "/flows/new",
    "/org",
    "/roles",
    "/members",
    "/audit",
]


def test_every_screen_renders_in_both_languages(server: Server, browser: Any, watch: Watch) -> None:
    """An administrator opens every menu screen in Chinese and English without an error."""
    page = _open(browser, watch, "admin-tour")
    failed: list[str] = []
    page.on(
        "response",
        lambda r: (
            "/api/" in r.url
            and r.status >= 400
            and failed.append(f"{r.status} {r.request.method} {r.url}")
        ),
    )
    _login(page, server, _api_org(server))
    for lang in ("zh", "en"):
        if lang == "en":
            page.locator(".lang-switch").click()
            page.locator(".el-dropdown-menu__item", has_text="English").click()
            expect(page.locator(".lang-switch")).to_contain_text("English")
        for path in SCREENS:
            page.goto(server.url + path)
            expect(page.locator(".page, .card").first).to_be_visible()
            expect(page.locator(".el-skeleton:visible")).to_have_count(0)
            expect(page.locator(".el-result .el-result__title")).to_have_count(0)  # no load error
            if path in ("/", "/audit", "/requests/all", "/flows/new"):
                _shot(page, f"tour-{lang}{path.replace('/', '-').rstrip('-')}")
    expect(page.locator(".page-name")).to_have_text("Audit log")
    page.wait_for_load_state("networkidle")
    page.context.close()
    assert not failed, failed
    watch.assert_clean()
