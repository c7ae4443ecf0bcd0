"""Smart seals in the console, live (issue 9, the browser test): the keeper sees a device
go offline and come back, acknowledges the tamper alert it raises, and watches a press
appear on the application with its photo.

The device is the platform tests' smart seal (tests/devices/device.py): protocol v1 over a
real MQTT connection to the server's embedded broker, a real journal, photos uploaded to the
granted URL. Plain (non-async) test: Playwright's sync API keeps an event loop running on
the test's thread, so the device and the API calls run on a loop of their own thread.
"""

from __future__ import annotations

import asyncio
import random
import subprocess
import sys
import threading
import uuid
from collections.abc import Coroutine, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import pytest

pytest.importorskip("playwright.sync_api", reason="playwright is not installed")

import httpx
from playwright.sync_api import Page, expect

from sealhub.devices.protocol import messages as m
from tests.builders import Api, add_member, login
from tests.devices.device import Keys, TestDevice
from tests.devices.helpers import root_unit, smart_seal
from tests.devices.platform import approved_request, uploader
from tests.e2e.conftest import DESKTOP, Server, Watch, _skip_reason
from tests.storage.samples import image
from tests.support.server import free_port, server_env, wait_ready

T = TypeVar("T")

pytestmark = pytest.mark.browser

PASSWORD = "Passw0rd!x"
expect.set_options(timeout=30_000)


def _phone() -> str:
    return f"139{random.randint(0, 99_999_999):08d}"


def _login(page: Page, server: Server, phone: str) -> None:
    page.goto(server.url + "/login")
    page.get_by_placeholder("手机号").fill(phone)
    page.get_by_placeholder("密码", exact=True).fill(PASSWORD)
    page.get_by_role("button", name="登录").click()
    page.wait_for_url(server.url + "/")


# ---- a smart seal over the real device channel ----


@dataclass
class Fleet:
    """A server of its own with its embedded MQTT broker on a free port, and an event loop on
    a thread of its own where the device and the API calls run."""

    server: Server
    mqtt_port: int
    loop: asyncio.AbstractEventLoop

    def run(self, coro: Coroutine[Any, Any, T], timeout: float = 120) -> T:
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
        with _server(env, data_dir) as url:
            yield Fleet(Server(url=url, data_dir=data_dir), mqtt_port, loop)
    finally:
        loop.call_soon_threadsafe(loop.stop)
        thread.join(5)


@contextmanager
def _server(env: dict[str, str], data_dir: Path) -> Iterator[str]:
    """One server process, like tests.support.server.running_servers, with a longer wait for
    it to be ready: it starts its broker too, on a machine the whole suite shares."""
    port = free_port()
    log = data_dir / "server-fleet.log"
    cmd = [sys.executable, "-m", "uvicorn", "sealhub.app:create_app", "--factory"]
    cmd += ["--host", "127.0.0.1", "--port", str(port), "--log-level", "warning"]
    with log.open("wb") as out:
        proc = subprocess.Popen(cmd, env=env, stdout=out, stderr=subprocess.STDOUT)
    try:
        wait_ready(f"http://127.0.0.1:{port}", proc, log, timeout=120)
        yield f"http://127.0.0.1:{port}"
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()


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


async def _until(check: Any, timeout: float = 60) -> None:
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

    async def make() -> TestDevice:
        return TestDevice(s.keys, "127.0.0.1", fleet.mqtt_port)

    device = fleet.run(make())  # one device throughout: its sequence numbers only grow

    async def online() -> None:
        device.connected.clear()
        await device.connect(wait_s=60)
        device.heartbeat(battery=64, ink=200)

    fleet.run(online())
    expect(row.locator("[data-online]")).to_have_attribute("data-online", "yes")
    expect(row).to_contain_text("64%")
    fleet.run(device.close(clean=False))  # vanishes: the broker publishes its last will
    expect(row.locator("[data-online]")).to_have_attribute("data-online", "no")
    fleet.run(online())
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
    fleet.run(tamper())  # again: the same alert counts it, live, and stays acknowledged
    expect(alert.locator("[data-test=alert-count]")).to_have_text("2")
    expect(page.locator(".el-table__row")).to_have_count(1)
    alert.locator("[data-kind]").click()  # the detail: who acknowledged it, and why
    detail = page.locator(".el-drawer:visible")
    expect(detail).to_contain_text("王管章 已确认")
    expect(detail).to_contain_text("已到现场检查外壳")

    # an approved application: the keeper has it open while the employee stamps
    request_id = fleet.run(approved_request(s, presses=2, name="签署采购合同"))
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
