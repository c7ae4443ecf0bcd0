"""Seal status lifecycle: the one transition table, reasons and history."""

from __future__ import annotations

import pytest

from sealhub.seals.errors import InvalidSealTransition
from sealhub.seals.policy import TRANSITIONS, SealStatus, transition
from tests.seals.conftest import make_org, new_seal


def test_table_covers_every_status():
    assert set(TRANSITIONS) == set(SealStatus)
    assert TRANSITIONS[SealStatus.DESTROYED] == frozenset()
    for current in SealStatus:
        for target in SealStatus:
            if target in TRANSITIONS[current]:
                assert transition(current, target) == target
            else:
                with pytest.raises(InvalidSealTransition):
                    transition(current, target)


async def test_transitions_with_reasons_and_history(client, app):
    org = await make_org(client, app)
    seal = await new_seal(org.admin, org.root_unit, code="LC-1")
    url = f"/api/v1/seals/{seal['id']}/status"

    async def move(status: str, reason: str, expect: int = 200):
        r = await org.admin.call("POST", url, json={"status": status, "reason": reason})
        assert r.status_code == expect, r.text
        return r.json()

    assert (await move("suspended", "年度盘点"))["status"] == "suspended"
    assert (await move("active", "盘点完成"))["status"] == "active"
    done = await move("reported_lost", "外出丢失")
    assert done["status"] == "reported_lost" and done["status_reason"] == "外出丢失"
    bad = await move("suspended", "不允许", expect=409)
    assert bad["code"] == "seal.invalid_transition"
    assert (await move("active", "已找回"))["status"] == "active"
    assert (await move("revoked", "更换新章"))["status"] == "revoked"
    assert (await move("active", "不允许", expect=409))["code"] == "seal.invalid_transition"
    assert (await move("destroyed", "已销毁"))["status"] == "destroyed"
    for target in ("active", "suspended", "reported_lost", "revoked", "destroyed"):
        assert (await move(target, "终态", expect=409))["code"] == "seal.invalid_transition"

    history = await org.admin.get(f"/api/v1/seals/{seal['id']}/history")
    steps = [(h["from_status"], h["to_status"], h["reason"]) for h in history]
    assert steps == [
        (None, "active", "登记"),
        ("active", "suspended", "年度盘点"),
        ("suspended", "active", "盘点完成"),
        ("active", "reported_lost", "外出丢失"),
        ("reported_lost", "active", "已找回"),
        ("active", "revoked", "更换新章"),
        ("revoked", "destroyed", "已销毁"),
    ]
    assert all(h["actor_id"] == org.admin.user_id and h["actor_name"] for h in history)
    # the keeper may read the history but not change status
    assert len(await org.keeper.get(f"/api/v1/seals/{seal['id']}/history")) == 7
    r = await org.keeper.call("POST", url, json={"status": "active", "reason": "x"})
    assert r.status_code == 403


async def test_reason_required_and_bounded(client, app):
    org = await make_org(client, app)
    seal = await new_seal(org.admin, org.root_unit, code="LC-2")
    url = f"/api/v1/seals/{seal['id']}/status"
    for body in (
        {"status": "suspended"},
        {"status": "suspended", "reason": ""},
        {"status": "suspended", "reason": "x" * 501},
        {"status": "lost", "reason": "x"},
    ):
        r = await org.admin.call("POST", url, json=body)
        assert r.status_code == 422, body
    listed = await org.admin.get("/api/v1/seals", params={"status": "active"})
    assert [s["id"] for s in listed["items"]] == [seal["id"]]
