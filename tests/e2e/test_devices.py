"""Smart seals and alerts in the console, live: the keeper watches alerts arrive and
acknowledges a tamper alert (issue 9, the browser test).

Alerts are raised the way a context raises them (`alerts.raise_alert` in a transaction of
its own) on the server's database from this process; the server's outbox relay carries them
to the console's event stream. Plain (non-async) tests: Playwright's sync API refuses to run
inside pytest-asyncio's loop, so the raising runs on a thread of its own.
"""

from __future__ import annotations

import asyncio
import random
import threading
import uuid
from typing import Any

import pytest

pytest.importorskip("playwright.sync_api", reason="playwright is not installed")

import httpx
from playwright.sync_api import Page, expect

from tests.e2e.conftest import DESKTOP, Server, Watch
from tests.notify.support import TAMPER

pytestmark = pytest.mark.browser

PASSWORD = "Passw0rd!x"
expect.set_options(timeout=15_000)


def _phone() -> str:
    return f"139{random.randint(0, 99_999_999):08d}"


def _org_with_keeper(server: Server) -> tuple[str, str]:
    """A new organisation (through the API) with a keeper; (org id, keeper's phone)."""
    admin_phone, keeper_phone = _phone(), _phone()
    with httpx.Client(base_url=server.url + "/api/v1") as http:
        r = http.post("/auth/sms-codes", json={"phone": admin_phone, "purpose": "register"})
        assert r.status_code == 202, r.text
        r = http.post(
            "/auth/register",
            json={
                "phone": admin_phone,
                "code": server.sms_code(admin_phone),
                "password": PASSWORD,
                "real_name": "李管理",
                "create_org": {"name": f"智能章公司{random.randint(100, 999)}"},
            },
        )
        assert r.status_code == 201, r.text
        r = http.post("/auth/login", json={"phone": admin_phone, "password": PASSWORD})
        auth = {"Authorization": f"Bearer {r.json()['token']}"}
        org_id = http.get("/auth/me", headers=auth).json()["organization"]["id"]
        roles = http.get("/roles", params={"page_size": 200}, headers=auth).json()["items"]
        keeper_role = next(x["id"] for x in roles if x["builtin_key"] == "keeper")
        r = http.post(
            "/members",
            headers=auth,
            json={
                "real_name": "王管章",
                "phone": keeper_phone,
                "password": PASSWORD,
                "role_ids": [keeper_role],
            },
        )
        assert r.status_code == 201, r.text
    return org_id, keeper_phone


def _raise(server: Server, org_id: str, subject_id: str, details: dict[str, Any]) -> None:
    """One occurrence of the tamper alert, committed to the server's database."""
    from sqlalchemy.ext.asyncio import AsyncSession, create_async_engine

    from sealhub.notify import alerts

    async def run() -> None:
        engine = create_async_engine(f"sqlite+aiosqlite:///{server.data_dir / 'sealhub.db'}")
        try:
            async with AsyncSession(engine, expire_on_commit=False) as session:
                await alerts.raise_alert(
                    session,
                    org_id=uuid.UUID(org_id),
                    kind=TAMPER,
                    subject_type="device",
                    subject_id=subject_id,
                    details=details,
                )
                await session.commit()
        finally:
            await engine.dispose()

    failure: list[BaseException] = []

    def target() -> None:
        try:
            asyncio.run(run())
        except BaseException as exc:  # reported on the test's thread
            failure.append(exc)

    t = threading.Thread(target=target)
    t.start()
    t.join(30)
    assert not failure, failure


def _login(page: Page, server: Server, phone: str) -> None:
    page.goto(server.url + "/login")
    page.get_by_placeholder("手机号").fill(phone)
    page.get_by_placeholder("密码", exact=True).fill(PASSWORD)
    page.get_by_role("button", name="登录").click()
    page.wait_for_url(server.url + "/")


def test_keeper_acknowledges_a_tamper_alert_live(
    server: Server, browser: Any, watch: Watch
) -> None:
    org_id, keeper = _org_with_keeper(server)
    page = watch.attach(browser.new_context(viewport=DESKTOP, locale="zh-CN").new_page(), "keeper")
    _login(page, server, keeper)
    page.get_by_role("menuitem", name="告警中心").click()
    page.wait_for_url(server.url + "/alerts")
    expect(page.locator("[data-test=live]")).to_have_text("实时")
    expect(page.locator(".el-table__row")).to_have_count(0)

    device = str(uuid.uuid4())
    _raise(server, org_id, device, {"part": "casing"})
    row = page.locator(".el-table__row").filter(has=page.locator(f"[data-kind='{TAMPER}']"))
    expect(row).to_have_count(1)  # arrived without a reload
    expect(row.locator("[data-test=alert-count]")).to_have_text("1")
    expect(page.locator("[data-test=count-open]")).to_contain_text("1")

    _raise(server, org_id, device, {"part": "cylinder"})  # the same condition again
    expect(row.locator("[data-test=alert-count]")).to_have_text("2")
    expect(page.locator(".el-table__row")).to_have_count(1)

    row.locator("[data-test=ack]").click()
    page.locator(".el-dialog:visible textarea").fill("已联系保管人检查外壳")
    page.locator("[data-test=alert-confirm]").click()
    expect(page.locator(".el-message").filter(has_text="操作成功").last).to_be_visible()
    expect(row).to_contain_text("已确认")
    expect(row.locator("[data-test=ack]")).to_have_count(0)
    expect(page.locator("[data-test=count-acknowledged]")).to_contain_text("1")

    row.locator("[data-kind]").click()  # the detail drawer: who acknowledged it, and why
    drawer = page.locator(".el-drawer:visible")
    expect(drawer).to_contain_text("王管章 已确认")
    expect(drawer).to_contain_text("已联系保管人检查外壳")
    expect(drawer).to_contain_text("cylinder")
    page.context.close()
    watch.assert_clean()
