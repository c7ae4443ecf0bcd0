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
from collections.abc import Coroutine, Iterator
from dataclasses import dataclass
from datetime import timedelta
from typing import Any, TypeVar

import pytest

pytest.importorskip("playwright.sync_api", reason="playwright is not installed")

import httpx
from playwright.sync_api import Page, expect

from sealhub.devices.protocol import messages as m
from sealhub.platform import clock
from tests.builders import Api, add_member, login
from tests.devices.device import Keys, TestDevice
from tests.devices.helpers import root_unit, smart_seal
from tests.devices.platform import uploader
from tests.e2e.conftest import DESKTOP, Server, Watch, _skip_reason
from tests.notify.support import TAMPER
from tests.storage.samples import image, reportlab_pdf
from tests.support.server import free_port, running_servers, server_env

T = TypeVar("T")

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


# ---- a smart seal over the real device channel ----


@dataclass
class Fleet:
    """A server of its own with its embedded MQTT broker on a free port, and an event loop on
    a thread of its own where the device and the API calls run."""

    server: Server
    mqtt_port: int
    loop: asyncio.AbstractEventLoop

    def run(self, coro: Coroutine[Any, Any, T], timeout: float = 30) -> T:
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(timeout)


@pytest.fixture(scope="module")
def fleet(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Fleet]:
    from sealhub.platform.db import migrate

    reason = _skip_reason()
    if reason:
        pytest.skip(reason)
    data_dir = tmp_path_factory.mktemp("e2e-fleet")
    db_url = f"sqlite+aiosqlite:///{data_dir / 'sealhub.db'}"
    # on a thread: Playwright's sync API keeps an event loop running on this one
    migration = threading.Thread(target=migrate.upgrade, args=(db_url,))
    migration.start()
    migration.join(120)
    mqtt_port = free_port()
    env = server_env(
        db_url,
        data_dir,
        SEALHUB_SMS_PER_IP_PER_HOUR="10000",
        SEALHUB_LOGIN_PER_IP_PER_MINUTE="10000",
        SEALHUB_MQTT_HOST="127.0.0.1",
        SEALHUB_MQTT_PORT=str(mqtt_port),
    )
    loop = asyncio.new_event_loop()
    thread = threading.Thread(target=loop.run_forever, daemon=True)
    thread.start()
    try:
        with running_servers(env) as urls:
            yield Fleet(Server(url=urls[0], data_dir=data_dir), mqtt_port, loop)
    finally:
        loop.call_soon_threadsafe(loop.stop)
        thread.join(5)


@dataclass
class Scene:
    http: httpx.AsyncClient
    admin: Api
    keeper: Api
    employee: Api
    seal_id: str
    device: dict[str, Any]
    keys: Keys


async def _scene(fleet: Fleet) -> Scene:
    """An organisation set up the way its administrator does: a keeper, an employee, a smart
    seal in a provisioned device, a flow the seal's keeper approves."""
    server = fleet.server
    http = httpx.AsyncClient(base_url=server.url)
    phone = f"+86{_phone()}"
    r = await http.post("/api/v1/auth/sms-codes", json={"phone": phone, "purpose": "register"})
    assert r.status_code == 202, r.text
    r = await http.post(
        "/api/v1/auth/register",
        json={
            "phone": phone,
            "code": server.sms_code(phone),
            "password": PASSWORD,
            "real_name": "李管理",
            "create_org": {"name": f"智能章公司{random.randint(100, 999)}"},
        },
    )
    assert r.status_code == 201, r.text
    admin = await login(http, phone, PASSWORD)
    unit = await root_unit(admin)
    keeper = await add_member(admin, name="王管章", roles=["keeper"])
    employee = await add_member(admin, name="赵员工", roles=["employee"])
    seal_id = await smart_seal(admin, unit, [keeper.user_id])
    await admin.post(
        "/api/v1/flows",
        json={
            "name": "智能章审批",
            "steps": [{"name": "管章人", "mode": "any", "approver": {"kind": "seal_keeper"}}],
        },
    )
    out = await admin.post(
        "/api/v1/devices",
        json={
            "serial": f"SH-{uuid.uuid4().hex[:10]}",
            "claim_code": "claim-e2e",
            "name": "前台智能章",
            "unit_id": unit,
        },
    )
    await admin.post(
        f"/api/v1/devices/{out['device']['id']}/bind", json={"seal_id": seal_id}, expect=200
    )
    return Scene(http, admin, keeper, employee, seal_id, out["device"], Keys.from_provisioned(out))


async def _approved(s: Scene, presses: int) -> str:
    doc = await s.employee.call(
        "POST",
        "/api/v1/documents",
        expect=201,
        files={"file": ("contract.pdf", reportlab_pdf(2), "application/pdf")},
    )
    now = clock.now()
    req = await s.employee.post(
        "/api/v1/requests",
        json={
            "name": "签署采购合同",
            "valid_from": (now - timedelta(minutes=1)).isoformat(),
            "valid_until": (now + timedelta(days=1)).isoformat(),
            "document_ids": [doc.json()["id"]],
            "items": [{"seal_id": s.seal_id, "presses": presses}],
            "submit": True,
        },
    )
    await s.keeper.post(f"/api/v1/requests/{req['id']}/approve", json={}, expect=200)
    return str(req["id"])


async def _until(check: Any, timeout: float = 15) -> None:
    deadline = asyncio.get_running_loop().time() + timeout
    while not check():
        assert asyncio.get_running_loop().time() < deadline, f"timed out: {check}"
        await asyncio.sleep(0.05)


def test_keeper_watches_a_smart_seal_live(fleet: Fleet, browser: Any, watch: Watch) -> None:
    """The keeper sees the device come online, drop off and come back; acknowledges the
    tamper alarm it raises; and watches a press appear on the application with its photo."""
    s = fleet.run(_scene(fleet))
    server = fleet.server
    page = watch.attach(browser.new_context(viewport=DESKTOP, locale="zh-CN").new_page(), "keeper")
    _login(page, server, s.keeper.phone.removeprefix("+86"))
    page.get_by_role("menuitem", name="智能印章设备").click()
    page.wait_for_url(server.url + "/devices")
    row = page.locator(".el-table__row", has_text="前台智能章")
    expect(row.locator("[data-online]")).to_have_attribute("data-online", "no")

    async def connect() -> TestDevice:
        device = TestDevice(s.keys, "127.0.0.1", fleet.mqtt_port)
        await device.connect()
        device.heartbeat(battery=64, ink=200)
        return device

    device = fleet.run(connect())
    expect(row.locator("[data-online]")).to_have_attribute("data-online", "yes")
    expect(row).to_contain_text("64%")
    fleet.run(device.close(clean=False))  # vanishes: the broker publishes its last will
    expect(row.locator("[data-online]")).to_have_attribute("data-online", "no")
    device = fleet.run(connect())
    expect(row.locator("[data-online]")).to_have_attribute("data-online", "yes")

    # the casing is opened: the device's alarm becomes an alert the keeper acknowledges
    async def tamper() -> None:
        device.record(m.AlarmData(code="tamper", detail="casing", auth=None, person=None))
        await _until(lambda: not device.journal.kept)

    fleet.run(tamper())
    page.get_by_role("menuitem", name="告警中心").click()
    page.wait_for_url(server.url + "/alerts")
    alert = page.locator(".el-table__row").filter(has=page.locator("[data-kind='device.tampered']"))
    expect(alert).to_have_count(1)
    alert.locator("[data-test=ack]").click()
    page.locator(".el-dialog:visible textarea").fill("已到现场检查外壳")
    page.locator("[data-test=alert-confirm]").click()
    expect(alert).to_contain_text("已确认")

    # an approved application: the keeper has it open while the employee stamps
    request_id = fleet.run(_approved(s, presses=2))
    fleet.run(_until(lambda: bool(device.auths)))
    page.goto(f"{server.url}/requests/all?id={request_id}")
    drawer = page.locator(".el-drawer:visible")
    expect(drawer).to_contain_text("签署采购合同")
    expect(drawer.locator("[data-test=press]")).to_have_count(0)

    async def press() -> None:
        codes = await s.employee.get(f"/api/v1/requests/{request_id}/device-codes")
        device.unlock(s.employee.user_id, codes[0]["code"])
        await device.press(image(size=(96, 64)), uploader(s.http))
        await _until(lambda: not device.journal.kept)

    fleet.run(press())
    shot = drawer.locator("[data-test=press]")
    expect(shot).to_have_count(1)  # arrived live, without reopening the application
    expect(shot).to_contain_text("剩余 1 次")
    img = shot.locator("img")
    expect(img).to_have_count(1)
    expect(img).to_have_js_property("complete", True)
    assert img.evaluate("el => el.naturalWidth") == 96  # the photo itself, not a placeholder

    fleet.run(device.close())
    fleet.run(s.http.aclose())
    page.context.close()
    watch.assert_clean()
