"""The live event stream sends each reader only the events it may read."""

from __future__ import annotations

import asyncio
import contextlib
from datetime import timedelta
from typing import Any

import orjson
from fastapi import FastAPI

from sealhub import worker
from sealhub.platform import clock
from tests.builders import Api, add_member, create_unit, register_org, role_ids
from tests.storage.samples import reportlab_pdf


class Listener:
    """`GET /api/v1/events` driven at the ASGI level (httpx's ASGI transport waits for
    the end of a response, and a stream has none)."""

    def __init__(self, app: FastAPI, api: Api) -> None:
        self.app = app
        self.api = api
        self.events: list[dict[str, Any]] = []
        self.status = 0
        self._buffer = b""
        self._connected = asyncio.Event()
        self._gone = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    async def __aenter__(self) -> Listener:
        scope = {
            "type": "http",
            "asgi": {"version": "3.0"},
            "http_version": "1.1",
            "method": "GET",
            "scheme": "http",
            "path": "/api/v1/events",
            "raw_path": b"/api/v1/events",
            "query_string": b"",
            "root_path": "",
            "headers": [
                (b"host", b"sealhub.test"),
                (b"authorization", f"Bearer {self.api.token}".encode()),
            ],
            "client": ("203.0.113.9", 50000),
            "server": ("sealhub.test", 80),
        }
        asked = False

        async def receive() -> dict[str, Any]:
            nonlocal asked
            if not asked:
                asked = True
                return {"type": "http.request", "body": b"", "more_body": False}
            await self._gone.wait()
            return {"type": "http.disconnect"}

        async def send(message: dict[str, Any]) -> None:
            if message["type"] == "http.response.start":
                self.status = message["status"]
            elif message["type"] == "http.response.body":
                self._buffer += message.get("body", b"")
                *frames, self._buffer = self._buffer.split(b"\n\n")
                for frame in frames:
                    if frame.startswith(b": connected"):
                        self._connected.set()
                    for line in frame.split(b"\n"):
                        if line.startswith(b"data: "):
                            self.events.append(orjson.loads(line[6:]))

        self._task = asyncio.create_task(self.app(scope, receive, send))
        await asyncio.wait_for(self._connected.wait(), 5)
        await asyncio.sleep(0.05)  # the pump subscribes on its first turn
        return self

    async def __aexit__(self, *exc: object) -> None:
        self._gone.set()
        assert self._task is not None
        try:
            await asyncio.wait_for(self._task, 20)
        except TimeoutError:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    def about(self, request_id: str) -> list[str]:
        return [
            _named(e["name"])
            for e in self.events
            if _named(e["name"]).startswith("request.")
            and e["payload"].get("request_id") == request_id
        ]

    def names(self) -> set[str]:
        return {_named(e["name"]) for e in self.events}


def _named(name: str) -> str:
    """Event names as ADR 0001 spells them (`request.approved`, not `requests.approved`)."""
    resource, _, word = name.partition(".")
    return f"{resource.removesuffix('s')}.{word}"


async def _until(condition: Any, app: FastAPI, seconds: float = 10) -> None:
    for _ in range(int(seconds / 0.05)):
        await worker.relay_once(app.state.runtime)
        if condition():
            return
        await asyncio.sleep(0.05)
    raise AssertionError("the expected events never arrived")


async def _keeper_seal(
    admin: Any, unit: dict[str, Any], keeper: Any, seal_type: str, name: str, code: str
) -> dict[str, Any]:
    """A physical seal in `unit` kept by `keeper`, and a flow its keepers approve."""
    seal: dict[str, Any] = await admin.post(
        "/api/v1/seals",
        json={
            "kind": "physical",
            "type": seal_type,
            "name": name,
            "code": code,
            "unit_id": unit["id"],
            "keeper_ids": [keeper.user_id],
        },
    )
    await admin.post(
        "/api/v1/flows",
        json={
            "name": "管章人审批",
            "steps": [{"name": "管章人", "mode": "any", "approver": {"kind": "seal_keeper"}}],
        },
    )
    return seal


async def test_a_self_scope_employee_does_not_receive_others_request_events(app, client):
    admin = await register_org(client, app)
    unit = await create_unit(admin, "行政部")
    keeper = await add_member(admin, name="李管章", roles=["keeper"], unit_ids=[unit["id"]])
    applicant = await add_member(admin, name="王员工", roles=["employee"], unit_ids=[unit["id"]])
    colleague = await add_member(admin, name="赵员工", roles=["employee"], unit_ids=[unit["id"]])
    it = await add_member(admin, name="钱信息", roles=["it"], unit_ids=[unit["id"]])
    seal = await _keeper_seal(admin, unit, keeper, "contract", "合同章", "HT-1")

    async with (
        Listener(app, admin) as boss,
        Listener(app, applicant) as own,
        Listener(app, colleague) as other,
        Listener(app, it) as outsider,
    ):
        assert boss.status == own.status == other.status == 200
        doc = (
            await applicant.call(
                "POST",
                "/api/v1/documents",
                expect=201,
                files={"file": ("a.pdf", reportlab_pdf(1), "application/pdf")},
            )
        ).json()
        now = clock.now()
        req = await applicant.post(
            "/api/v1/requests",
            json={
                "name": "合同盖章",
                "valid_from": now.isoformat(),
                "valid_until": (now + timedelta(days=3)).isoformat(),
                "document_ids": [doc["id"]],
                "items": [{"seal_id": seal["id"], "presses": 1}],
                "submit": True,
            },
        )
        await keeper.post(f"/api/v1/requests/{req['id']}/approve", json={}, expect=200)
        await keeper.post(
            f"/api/v1/seals/{seal['id']}/hand-out",
            json={
                "request_id": req["id"],
                "holder_id": applicant.user_id,
                "expected_return_at": (now + timedelta(hours=2)).isoformat(),
            },
        )
        await _until(
            lambda: (
                "request.approved" in boss.about(req["id"])
                and "request.approved" in own.about(req["id"])
                and "seal.handed_out" in boss.names()
                and "seal.handed_out" in outsider.names()
            ),
            app,
        )
        await asyncio.sleep(0.2)  # anything else in flight arrives now

    assert {"request.submitted", "request.approved"} <= set(boss.about(req["id"]))
    assert {"request.submitted", "request.approved"} <= set(own.about(req["id"]))
    # self scope: neither someone else's application nor a seal it does not keep
    assert other.events == [], other.events
    # IT: seal.read on the whole organisation, but no request.read
    assert outsider.about(req["id"]) == []
    assert "seal.handed_out" in outsider.names()
    assert all(e["org_id"] == admin.org_id for e in boss.events)


async def _apply(applicant: Api, seal_id: str) -> dict[str, Any]:
    doc = (
        await applicant.call(
            "POST",
            "/api/v1/documents",
            expect=201,
            files={"file": ("a.pdf", reportlab_pdf(1), "application/pdf")},
        )
    ).json()
    now = clock.now()
    created: dict[str, Any] = await applicant.post(
        "/api/v1/requests",
        json={
            "name": "合同盖章",
            "valid_from": now.isoformat(),
            "valid_until": (now + timedelta(days=3)).isoformat(),
            "document_ids": [doc["id"]],
            "items": [{"seal_id": seal_id, "presses": 1}],
            "submit": True,
        },
    )
    return created


async def test_a_reader_losing_request_read_stops_receiving_while_connected(app, client):
    admin = await register_org(client, app)
    unit = await create_unit(admin, "财务部")
    keeper = await add_member(admin, name="李管章", roles=["keeper"], unit_ids=[unit["id"]])
    applicant = await add_member(admin, name="王员工", roles=["employee"], unit_ids=[unit["id"]])
    reader = await add_member(admin, name="孙审批", roles=["approver"], unit_ids=[unit["id"]])
    seal = await _keeper_seal(admin, unit, keeper, "finance", "财务章", "CW-1")
    employee_role = (await role_ids(admin, ["employee"]))[0]

    async with Listener(app, reader) as listening, Listener(app, admin) as boss:
        first = await _apply(applicant, seal["id"])
        await _until(lambda: "request.submitted" in listening.about(first["id"]), app)
        # request.read in its unit's scope is taken away while the stream stays open
        await admin.patch(f"/api/v1/members/{reader.member_id}", json={"role_ids": [employee_role]})
        second = await _apply(applicant, seal["id"])
        await _until(lambda: "request.submitted" in boss.about(second["id"]), app)
        await asyncio.sleep(0.2)

    assert listening.about(second["id"]) == []
