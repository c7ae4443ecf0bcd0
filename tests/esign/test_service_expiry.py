"""The periodic sweep: renewal reminders before a certificate expires, expiry after, and an
expired certificate seals nothing."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest

from sealhub.esign import service
from sealhub.esign.handlers import sweep
from sealhub.platform import clock
from sealhub.platform.actor import system_in
from tests.esign.helpers import (
    approved_eseal,
    approved_request,
    esign_org,
    seal_body,
    sqlite_only_unless_marked,
)


@pytest.fixture(autouse=True)
def _backends(request: pytest.FixtureRequest, db_url: str) -> None:
    sqlite_only_unless_marked(request, db_url)


async def test_reminder_then_expiry(client, app):
    org = await esign_org(client, app)
    seal = await approved_eseal(org)
    cert_id = seal["application"]["certificate_id"]
    runtime = app.state.runtime
    actor = system_in(uuid.UUID(org.admin.org_id))

    async with runtime.transaction() as session:
        assert await service.expire_and_remind(session, actor) == (0, 0)
    # 20 days before it expires: one reminder, recorded once
    clock.advance(timedelta(days=710))
    async with runtime.transaction() as session:
        assert await service.expire_and_remind(session, actor) == (0, 1)
    async with runtime.transaction() as session:
        assert await service.expire_and_remind(session, actor) == (0, 0)
    # past its end: the sweep (every organisation) marks it expired
    clock.advance(timedelta(days=30))
    assert await sweep(runtime) >= 1
    clock.reset()  # (sessions would have expired too)
    cert = await org.admin.get(f"/api/v1/esign/certificates/{cert_id}")
    assert cert["status"] == "expired"
    audit = await org.admin.get("/api/v1/audit", params={"target_id": cert_id})
    actions = {e["action"] for e in audit["items"]}
    assert {"esign.remind_renewal", "esign.expire_certificate"} <= actions, actions
    rid, doc_id = await approved_request(org, seal, pages=1)
    r = await org.employee.call(
        "POST", f"/api/v1/esign/requests/{rid}/sealings", json=seal_body(doc_id, seal["id"], page=0)
    )
    assert r.json()["code"] == "esign.no_valid_certificate", r.text
