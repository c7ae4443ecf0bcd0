"""Idempotency-Key: a retry replays the stored reply, and twins sent at once execute once
(issue 8, defect 8b). Runs on SQLite and, with SEALHUB_TEST_PG_URL, on PostgreSQL."""

from __future__ import annotations

import asyncio

from tests.builders import register_org


async def _twins(admin, url: str, body: dict, key: str, n: int = 2):
    headers = {"Idempotency-Key": key}
    return await asyncio.gather(
        *(admin.call("POST", url, json=body, headers=headers) for _ in range(n))
    )


async def test_twins_sent_at_once_execute_once(client, app):
    admin = await register_org(client, app)
    me = await admin.get("/api/v1/auth/me")
    unit = me["unit_ids"][0]
    for round_ in range(3):
        body = {
            "kind": "physical",
            "type": "contract",
            "name": f"合同章 {round_}",
            "code": f"TW-{round_}",
            "unit_id": unit,
        }
        replies = await _twins(admin, "/api/v1/seals", body, f"twin-{round_}", n=4)
        assert [r.status_code for r in replies] == [201] * 4, [r.text for r in replies]
        assert len({r.json()["id"] for r in replies}) == 1
        replayed = [r.headers.get("idempotent-replayed") == "true" for r in replies]
        assert replayed.count(False) == 1  # one execution, three replays
    seals = await admin.get("/api/v1/seals", params={"page_size": 50})
    assert seals["total"] == 3


async def test_twins_for_a_generated_code_execute_once(client, app):
    # units get a server-generated code: two executions would make two units
    admin = await register_org(client, app)
    replies = await _twins(admin, "/api/v1/org/units", {"name": "双生部门"}, "unit-twin", n=3)
    assert [r.status_code for r in replies] == [201] * 3, [r.text for r in replies]
    assert len({r.json()["id"] for r in replies}) == 1
    units = await admin.get("/api/v1/org/units")
    assert [u["name"] for u in units].count("双生部门") == 1


async def test_same_key_different_body_is_refused(client, app):
    admin = await register_org(client, app)
    headers = {"Idempotency-Key": "reused"}
    await admin.post("/api/v1/org/units", json={"name": "甲"}, headers=headers)
    r = await admin.call("POST", "/api/v1/org/units", json={"name": "乙"}, headers=headers)
    assert r.status_code == 422 and r.json()["code"] == "common.idempotency_conflict"


async def test_a_failed_create_does_not_burn_the_key(client, app):
    admin = await register_org(client, app)
    headers = {"Idempotency-Key": "retry-after-fix"}
    bad = {"name": "丙", "parent_id": "00000000-0000-7000-8000-000000000000"}
    r = await admin.call("POST", "/api/v1/org/units", json=bad, headers=headers)
    assert r.status_code == 404
    r = await admin.call("POST", "/api/v1/org/units", json=bad, headers=headers)
    assert r.status_code == 404 and r.headers.get("idempotent-replayed") is None
