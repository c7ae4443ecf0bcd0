"""Sign-in in the browser: by SMS code, and what a person sees once wrong passwords are
throttled (the wait from `Retry-After`, the button off until then, the SMS way still open)."""

from __future__ import annotations

import random
import re
from collections.abc import Iterator
from typing import Any

import pytest

pytest.importorskip("playwright.sync_api", reason="playwright is not installed")

from playwright.sync_api import Page, expect

from tests.e2e.conftest import DESKTOP, SCREENSHOTS, Server, Watch
from tests.support.server import running_servers, server_env

pytestmark = pytest.mark.browser

PASSWORD = "Passw0rd!x"
expect.set_options(timeout=10_000)
THROTTLE_SECONDS = 40  # the first wait once throttled; long enough to watch it count down


def _phone() -> str:
    return f"137{random.randint(0, 99_999_999):08d}"


def _api_org(server: Server) -> str:
    """Sign up an organisation through the API; its founder's phone."""
    import httpx

    phone = _phone()
    with httpx.Client(base_url=server.url + "/api/v1") as http:
        r = http.post("/auth/sms-codes", json={"phone": phone, "purpose": "register"})
        assert r.status_code == 202, r.text
        body = {
            "phone": phone,
            "code": server.sms_code(phone),
            "password": PASSWORD,
            "real_name": "周短信",
            "create_org": {"name": f"短信科技{random.randint(100, 999)}"},
        }
        r = http.post("/auth/register", json=body)
        assert r.status_code == 201, r.text
    return phone


def _open(browser: Any, watch: Watch, who: str) -> Page:
    ctx = browser.new_context(viewport=DESKTOP, locale="zh-CN")
    return watch.attach(ctx.new_page(), who)  # type: ignore[no-any-return]


def _sign_in_by_sms(page: Page, server: Server, phone: str) -> None:
    page.get_by_role("tab", name="短信登录").click()
    page.get_by_placeholder("手机号").fill(phone)
    page.get_by_role("button", name="获取验证码").click()
    expect(page.locator(".el-message").filter(has_text="验证码已发送").last).to_be_visible()
    expect(page.get_by_role("button", name=re.compile(r"\d+ 秒后重发"))).to_be_disabled()
    page.get_by_placeholder("短信验证码").fill(server.sms_code(phone))
    page.get_by_role("button", name="登录", exact=True).click()
    page.wait_for_url(server.url + "/")
    expect(page.locator(".header .avatar")).to_be_visible()


@pytest.fixture(scope="module")
def throttled() -> Iterator[Server]:
    """A server of its own whose password delays start after two attempts, with a long first
    wait and no hold, so the shared server's counters stay untouched."""
    import tempfile
    from concurrent.futures import ThreadPoolExecutor
    from pathlib import Path

    from sealhub.platform.db import migrate

    with tempfile.TemporaryDirectory(prefix="e2e-throttled-") as tmp:
        data_dir = Path(tmp)
        db_url = f"sqlite+aiosqlite:///{data_dir / 'sealhub.db'}"
        # in a thread: an open sync_playwright() counts as a running loop in this one
        with ThreadPoolExecutor(1) as pool:
            pool.submit(migrate.upgrade, db_url).result()
        env = server_env(
            db_url,
            data_dir,
            SEALHUB_SMS_PER_IP_PER_HOUR="10000",
            SEALHUB_LOGIN_PER_IP_PER_MINUTE="10000",
            SEALHUB_LOGIN_MAX_FAILURES="2",
            SEALHUB_LOGIN_DELAY_SECONDS=str(THROTTLE_SECONDS),
            SEALHUB_LOGIN_THROTTLE_HOLD_SECONDS="0",
        )
        with running_servers(env) as urls:
            yield Server(url=urls[0], data_dir=data_dir)


def test_sign_in_by_sms_code(server: Server, browser: Any, watch: Watch) -> None:
    phone = _api_org(server)
    page = _open(browser, watch, "sms")
    page.goto(server.url + "/login")
    # the second way in is offered in both languages
    page.locator(".lang-switch").click()
    page.locator(".el-dropdown-menu__item", has_text="English").click()
    expect(page.get_by_role("tab", name="Sign in by SMS code")).to_be_visible()
    page.locator(".lang-switch").click()
    page.locator(".el-dropdown-menu__item", has_text="简体中文").click()
    _sign_in_by_sms(page, server, phone)
    page.context.close()
    watch.assert_clean()


def test_throttled_password_sign_in_names_the_wait(
    throttled: Server, browser: Any, watch: Watch
) -> None:
    phone = _api_org(throttled)
    page = _open(browser, watch, "throttled")
    page.goto(throttled.url + "/login")
    page.get_by_placeholder("手机号").fill(phone)
    page.get_by_placeholder("密码", exact=True).fill("not-the-password")
    submit = page.locator("form button[type=submit]")
    # the refusals below are the point of this test; any other console error still fails it
    watch.expect_failed_load("/api/v1/auth/login", 401, times=3)
    watch.expect_failed_load("/api/v1/auth/login", 429)
    # two free attempts and the one that starts the wait are answered "wrong password"
    for _ in range(3):
        with page.expect_response(lambda r: r.url.endswith("/api/v1/auth/login")) as answer:
            submit.click()
        assert answer.value.status == 401, answer.value.text()
        expect(page.locator(".el-message").filter(has_text="手机号或密码错误").last).to_be_visible()
    with page.expect_response(lambda r: r.url.endswith("/api/v1/auth/login")) as answer:
        submit.click()
    assert answer.value.status == 429, answer.value.text()
    wait = int(answer.value.headers["retry-after"])
    assert 0 < wait <= THROTTLE_SECONDS

    alert = page.locator(".throttled")
    expect(alert).to_have_text(re.compile(r"操作过于频繁，请 \d+ 秒后再试"))
    expect(submit).to_be_disabled()
    expect(submit).to_have_text(re.compile(r"请 \d+ 秒后再试"))
    shown = int(re.search(r"\d+", submit.inner_text()).group())  # type: ignore[union-attr]
    assert 0 < shown <= wait
    expect(submit).not_to_have_text(f"请 {shown} 秒后再试", timeout=3_000)  # it counts down
    expect(page.get_by_text("HTTP 429")).to_have_count(0)
    page.screenshot(path=str(SCREENSHOTS / "15-login-throttled.png"))

    # in English the wait keeps counting, worded in English
    page.locator(".lang-switch").click()
    page.locator(".el-dropdown-menu__item", has_text="English").click()
    expect(alert).to_have_text("Too many attempts")
    expect(submit).to_have_text(re.compile(r"^\s*Try again in \d+ s\s*$"))
    expect(submit).to_be_disabled()
    page.locator(".lang-switch").click()
    page.locator(".el-dropdown-menu__item", has_text="简体中文").click()

    # the owner's other way in is not touched by the password wait
    _sign_in_by_sms(page, throttled, phone)
    page.context.close()
    watch.assert_clean()


def test_invitation_status_comes_from_the_enum_labels(
    server: Server, browser: Any, watch: Watch
) -> None:
    """The members screen labels a pending invitation with /meta/enums' invitation_status."""
    import httpx

    admin_phone, invitee_phone = _api_org(server), _api_org(server)
    with httpx.Client(base_url=server.url + "/api/v1") as http:
        r = http.post("/auth/login", json={"phone": admin_phone, "password": PASSWORD})
        assert r.status_code == 200, r.text
        auth = {"Authorization": f"Bearer {r.json()['token']}"}
        r = http.post(
            "/members", json={"real_name": "吴受邀", "phone": invitee_phone}, headers=auth
        )
        assert r.status_code == 202 and r.json()["status"] == "pending", r.text

    page = _open(browser, watch, "members")
    page.goto(server.url + "/login")
    page.get_by_placeholder("手机号").fill(admin_phone)
    page.get_by_placeholder("密码", exact=True).fill(PASSWORD)
    page.get_by_role("button", name="登录", exact=True).click()
    page.wait_for_url(server.url + "/")
    page.goto(server.url + "/members")
    row = page.locator(".el-table__row", has_text="吴受邀")
    expect(row.locator(".el-tag", has_text="待接受")).to_be_visible()
    page.locator(".lang-switch").click()
    page.locator(".el-dropdown-menu__item", has_text="English").click()
    expect(row.locator(".el-tag", has_text="Pending")).to_be_visible()
    page.context.close()
    watch.assert_clean()
