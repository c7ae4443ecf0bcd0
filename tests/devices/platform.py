"""Fixtures' helpers for the platform tests: an app with its device channel on a port of
its own (embedded broker, or a Mosquitto), and the objects of a smart-seal journey."""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
from fastapi import FastAPI

from sealhub.app import create_app
from sealhub.devices.gateway import Gateway
from sealhub.platform import clock
from tests.builders import Api, add_member, register_org
from tests.conftest import make_settings
from tests.devices.device import Keys, TestDevice
from tests.devices.helpers import root_unit, smart_seal
from tests.storage.samples import reportlab_pdf
from tests.support.server import free_port


@asynccontextmanager
async def device_app(db_url: str, data_dir: Path, **settings: Any) -> AsyncIterator[FastAPI]:
    """The app with its device channel (embedded broker on a free port unless
    `mqtt_url` names an external one), started and stopped like `sealhub serve` does."""
    values: dict[str, Any] = {"mqtt_port": free_port(), "public_url": "http://sealhub.test"}
    values.update(settings)
    app = create_app(make_settings(db_url, data_dir, **values))
    async with app.router.lifespan_context(app):
        yield app


def gateway(app: FastAPI) -> Gateway:
    gw: Gateway = app.state.runtime.extras["devices.gateway"]
    return gw


def broker_address(app: FastAPI) -> tuple[str, int]:
    s = app.state.runtime.settings
    if s.mqtt_url:
        rest = s.mqtt_url.split("@")[-1].removeprefix("mqtt://")
        host, port = rest.split(":")
        return host, int(port)
    return s.mqtt_host, s.mqtt_port


async def until(check: Callable[[], Awaitable[bool] | bool], timeout: float = 15.0) -> None:
    """Wait until `check()` holds (polling), or fail with a clear message."""
    deadline = time.monotonic() + timeout
    while True:
        result = check()
        if not isinstance(result, bool):
            result = await result
        if result:
            return
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {getattr(check, '__name__', check)}")
        await asyncio.sleep(0.05)


def uploader(client: httpx.AsyncClient) -> Callable[[str, bytes, str], Awaitable[int]]:
    async def put(url: str, data: bytes, content_type: str) -> int:
        path = "/" + url.split("/", 3)[3]
        r = await client.put(path, content=data, headers={"Content-Type": content_type})
        return r.status_code

    return put


@dataclass
class Scene:
    admin: Api
    keeper: Api
    employee: Api
    seal_id: str
    device: dict[str, Any]
    keys: Keys


async def scene(client: httpx.AsyncClient, app: FastAPI) -> Scene:
    admin = await register_org(client, app)
    unit = await root_unit(admin)
    keeper = await add_member(admin, name="管章人", roles=["keeper"])
    employee = await add_member(admin, name="员工", roles=["employee"])
    seal_id = await smart_seal(admin, unit, [keeper.user_id])
    await admin.post(
        "/api/v1/flows",
        json={
            "name": f"智能章流程{uuid.uuid4().hex[:4]}",
            "steps": [{"name": "管章人", "mode": "any", "approver": {"kind": "seal_keeper"}}],
        },
    )
    serial = f"SH-{uuid.uuid4().hex[:10]}"
    out = await admin.post(
        "/api/v1/devices",
        json={"serial": serial, "claim_code": "claim-123", "name": "前台智能章", "unit_id": unit},
    )
    await admin.post(
        f"/api/v1/devices/{out['device']['id']}/bind", json={"seal_id": seal_id}, expect=200
    )
    return Scene(admin, keeper, employee, seal_id, out["device"], Keys.from_provisioned(out))


async def approved_request(s: Scene, presses: int, name: str = "签合同") -> str:
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
            "name": name,
            "valid_from": (now - timedelta(minutes=1)).isoformat(),
            "valid_until": (now + timedelta(days=1)).isoformat(),
            "document_ids": [doc.json()["id"]],
            "items": [{"seal_id": s.seal_id, "presses": presses}],
            "submit": True,
        },
    )
    await s.keeper.post(f"/api/v1/requests/{req['id']}/approve", json={}, expect=200)
    return str(req["id"])


async def connect(app: FastAPI, keys: Keys) -> TestDevice:
    host, port = broker_address(app)
    device = TestDevice(keys, host, port)
    await device.connect()
    return device
