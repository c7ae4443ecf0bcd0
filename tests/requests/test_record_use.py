"""One use-case records every use of an application: hand-out, return count, device press,
e-signature. It checks item, window, person and count first: a refused use writes nothing.
And the system actor jobs use reads an application's documents in its organisation only."""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import func, select

from sealhub.identity.auth import authenticate
from sealhub.platform import clock
from sealhub.platform.actor import Actor, system_in
from sealhub.platform.audit import AuditEntry
from sealhub.platform.events import OutboxEvent
from sealhub.requests import service as requests_service
from sealhub.requests.errors import (
    DocumentNotFound,
    HandOutNotAllowed,
    RequestNotFound,
    UseNotAllowed,
)
from sealhub.requests.events import UseSource
from sealhub.seals.models import CustodyRecord
from tests.builders import Api
from tests.requests.conftest import World, apply, approve_all, at, make_world, pdf_bytes


async def actor_of(app: Any, api: Api) -> Actor:
    runtime = app.state.runtime
    async with runtime.transaction() as session:
        auth = await authenticate(session, runtime, api.token)
    assert auth.actor is not None
    return auth.actor


async def written(app: Any, org_id: str) -> dict[str, int]:
    """Custody, audit and outbox rows of one organisation, committed."""
    org = uuid.UUID(org_id)
    async with app.state.runtime.db.sessions() as session:

        async def count(model: Any) -> int:
            stmt = select(func.count()).select_from(model).where(model.org_id == org)
            return int(await session.scalar(stmt) or 0)

        return {
            "custody": await count(CustodyRecord),
            "audit": await count(AuditEntry),
            "outbox": await count(OutboxEvent),
        }


async def refused_hand_out(app: Any, w: World, rid: str, holder: str) -> None:
    """A hand-out the application refuses, in a transaction that then commits anyway."""
    keeper = await actor_of(app, w.keeper)
    before = await written(app, w.admin.org_id)
    async with app.state.runtime.transaction() as session:
        with pytest.raises(HandOutNotAllowed):
            await requests_service.hand_out(
                session,
                keeper,
                uuid.UUID(rid),
                seal_id=uuid.UUID(w.seal["id"]),
                holder_id=uuid.UUID(holder),
                expected_return_at=clock.now() + timedelta(hours=4),
            )
    assert await written(app, w.admin.org_id) == before


async def test_refused_hand_outs_write_no_custody_audit_or_event(client, app):
    w = await make_world(client, app)
    rid = (await approve_all(w, await apply(w)))["id"]
    await refused_hand_out(app, w, rid, w.boss.user_id)  # not the applicant
    later = await approve_all(w, await apply(w, valid_from=at(2), valid_until=at(48)))
    await refused_hand_out(app, w, later["id"], w.employee.user_id)  # window not open yet


async def test_a_hand_out_beyond_the_approved_presses_is_refused(client, app):
    w = await make_world(client, app)
    req = await approve_all(w, await apply(w))
    url = f"/api/v1/seals/{w.seal['id']}/hand-out"
    body = {"request_id": req["id"], "holder_id": w.employee.user_id, "expected_return_at": at(4)}
    custody = await w.keeper.post(url, json=body)
    # both approved presses used, counted at the return (synchronously, as a use)
    await w.keeper.post(f"/api/v1/custody/{custody['id']}/return", json={"presses": 2}, expect=200)
    detail = await w.employee.get(f"/api/v1/requests/{req['id']}")
    assert detail["items"][0]["presses_used"] == 2
    assert detail["timeline"][-1]["action"] == "return_count"
    r = await w.keeper.call("POST", url, json=body, expect=409)
    assert r.json()["code"] == "request.hand_out_not_allowed"
    await refused_hand_out(app, w, req["id"], w.employee.user_id)


async def _smart_world(client: Any, app: Any) -> tuple[World, dict[str, Any]]:
    w = await make_world(client, app)
    smart = await w.admin.post(
        "/api/v1/seals",
        json={
            "kind": "smart",
            "type": "finance",
            "name": "智能财务章",
            "code": "ZN-001",
            "unit_id": w.root,
            "keeper_ids": [w.keeper.user_id],
        },
    )
    items = [
        {"seal_id": w.eseal["id"], "presses": 2},
        {"seal_id": smart["id"], "presses": 3},
    ]
    req = await approve_all(w, await apply(w, items=items))
    assert req["status"] == "approved"
    return w, req


async def test_device_press_and_e_signature_go_through_the_same_checks(client, app):
    w, req = await _smart_world(client, app)
    rid, org = uuid.UUID(req["id"]), uuid.UUID(w.admin.org_id)
    eseal, smart = uuid.UUID(w.eseal["id"]), uuid.UUID(req["items"][1]["seal_id"])
    employee, boss = uuid.UUID(w.employee.user_id), uuid.UUID(w.boss.user_id)
    device = system_in(org)  # a device handler acts for the system, naming who pressed

    async def use(source: UseSource, seal: uuid.UUID, count: int, user: uuid.UUID) -> Any:
        async with app.state.runtime.transaction() as session:
            return await requests_service.record_use(
                session, device, rid, seal_id=seal, source=source, count=count, user_id=user
            )

    before = await written(app, w.admin.org_id)
    refusals = [
        (UseSource.E_SIGNATURE, eseal, 1, boss),  # not the applicant
        (UseSource.DEVICE_PRESS, eseal, 1, employee),  # the e-seal is not a smart seal
        (UseSource.E_SIGNATURE, smart, 1, employee),  # nor the smart seal an e-seal
        (UseSource.E_SIGNATURE, eseal, 3, employee),  # two approved
        (UseSource.HAND_OUT, smart, 0, employee),  # not a physical seal
        (UseSource.DEVICE_PRESS, smart, 0, employee),  # a press counts at least one
        (UseSource.DEVICE_PRESS, smart, -1, employee),  # and never gives presses back
    ]
    for source, seal, count, user in refusals:
        with pytest.raises((UseNotAllowed, HandOutNotAllowed)):
            await use(source, seal, count, user)
    assert await written(app, w.admin.org_id) == before

    signed = await use(UseSource.E_SIGNATURE, eseal, 2, employee)
    assert (signed.presses_used, signed.presses, signed.status) == (2, 2, "in_use")
    with pytest.raises(UseNotAllowed):
        await use(UseSource.E_SIGNATURE, eseal, 1, employee)  # used up
    pressed = await use(UseSource.DEVICE_PRESS, smart, 1, employee)
    assert (pressed.presses_used, pressed.presses) == (1, 3)

    detail = await w.employee.get(f"/api/v1/requests/{rid}")
    assert [i["presses_used"] for i in detail["items"]] == [2, 1]
    actions = [e["action"] for e in detail["timeline"]]
    assert actions[-3:] == ["use", "e_signature", "device_press"]
    assert detail["timeline"][-1]["actor_name"] == "系统"
    async with app.state.runtime.db.sessions() as session:
        rows = (
            await session.execute(
                select(OutboxEvent).where(
                    OutboxEvent.org_id == org, OutboxEvent.name == "request.used"
                )
            )
        ).scalars()
        used = [(r.payload["source"], r.payload["count"]) for r in rows]
        audited = (
            await session.execute(
                select(AuditEntry.action, AuditEntry.actor_id).where(
                    AuditEntry.org_id == org, AuditEntry.action.like("request.%_%")
                )
            )
        ).all()
    assert sorted(used) == [("device_press", 1), ("e_signature", 2)]
    assert ("request.e_signature", None) in audited  # the system, not a member
    assert ("request.device_press", None) in audited

    clock.advance(timedelta(hours=49))  # past the window
    with pytest.raises(UseNotAllowed):
        await use(UseSource.DEVICE_PRESS, smart, 1, employee)


async def test_the_system_reads_documents_in_any_unit_of_its_org_and_never_another(client, app):
    w = await make_world(client, app)  # the employee applies from a department below the root
    req = await apply(w)
    rid, doc_id = uuid.UUID(req["id"]), uuid.UUID(w.doc["id"])
    other = await make_world(client, app)
    runtime = app.state.runtime
    mine, theirs = system_in(uuid.UUID(w.admin.org_id)), system_in(uuid.UUID(other.admin.org_id))
    assert mine.is_system and not (await actor_of(app, w.admin)).is_system
    async with runtime.transaction() as session:
        docs = await requests_service.request_documents(session, mine, rid)
        assert [d.id for d in docs] == [doc_id]
        out, data = await requests_service.document_content(session, runtime, mine, doc_id)
        assert data == pdf_bytes() and out.pages == 3
        with pytest.raises(RequestNotFound):
            await requests_service.request_documents(session, theirs, rid)
        with pytest.raises(DocumentNotFound):
            await requests_service.document_content(session, runtime, theirs, doc_id)
