"""Each built-in role × each route: allowed or refused exactly as a reviewed table says.

The expectations live in tests/permission_matrix.csv, written and reviewed by hand — never
derived from the code under test — so changing a route's permission (or a service's own
check) turns this red until someone changes the table on purpose.
"""

from __future__ import annotations

import csv
import re
import uuid
from collections.abc import Awaitable, Callable
from datetime import timedelta
from pathlib import Path

import httpx
import pytest

from sealhub.api.introspect import permissions_markdown, route_rules
from sealhub.identity.permissions import BUILTIN_ROLES
from sealhub.platform import clock
from tests.builders import Api, add_member, register_org
from tests.storage.samples import reportlab_pdf
from tests.world import UPLOADS, World, build_world, upload_file

DOC = Path(__file__).resolve().parents[1] / "docs" / "permissions.md"
MATRIX = Path(__file__).with_name("permission_matrix.csv")
OUTCOMES = {"ok", "403", "404"}


def test_permissions_doc_matches_code(app):
    assert DOC.read_text() == permissions_markdown(app), (
        "docs/permissions.md is stale: run `python -m sealhub.api.introspect`"
    )


def test_error_codes_doc_is_current():
    from sealhub.api.introspect import errors_markdown

    api_doc = DOC.parent / "api.md"
    assert api_doc.read_text() == errors_markdown(), "run `python -m sealhub.api.introspect`"


def test_readme_lists_every_setting():
    from sealhub.api.introspect import settings_markdown

    readme = (DOC.parents[1] / "README.md").read_text()
    assert settings_markdown() in readme, (
        "README's settings table is stale: paste `python -m sealhub.api.introspect`'s table"
    )


def test_every_mutating_route_needs_a_member(app):
    public_ok = {
        "/api/v1/auth/sms-codes",
        "/api/v1/auth/register",
        "/api/v1/auth/login",
        "/api/v1/auth/login/sms",
        "/api/v1/auth/password-reset",
        # proves the phone with the code the invitation texted to it
        "/api/v1/invitations/accept",
        # anyone may verify a sealed PDF (rate- and size-limited, parsed in the untrusted pool)
        "/api/v1/esign/verify",
        # a device's upload: the one-time, short-lived URL is the credential
        "/api/v1/device-media/{token}",
    }
    for rule in route_rules(app):
        if rule.method in ("POST", "PUT", "PATCH", "DELETE") and rule.path not in public_ok:
            assert rule.signed_in, f"{rule.method} {rule.path} is open to anyone"


def read_matrix() -> tuple[list[str], dict[tuple[str, str], dict[str, str]]]:
    """(roles, {(method, path): {role: outcome}}) from the reviewed table."""
    lines = [ln for ln in MATRIX.read_text().splitlines() if ln and not ln.startswith("#")]
    rows = list(csv.reader(lines))
    header = [c.strip() for c in rows[0]]
    assert header[:2] == ["method", "path"], header
    roles = header[2:]
    table: dict[tuple[str, str], dict[str, str]] = {}
    for row in rows[1:]:
        cells = [c.strip() for c in row]
        key = (cells[0], cells[1])
        assert key not in table, f"{key} twice in {MATRIX.name}"
        assert len(cells) == len(header), f"{key}: {len(cells)} cells, want {len(header)}"
        assert set(cells[2:]) <= OUTCOMES, f"{key}: outcomes are {sorted(OUTCOMES)}"
        table[key] = dict(zip(roles, cells[2:], strict=True))
    return roles, table


def _member_routes(app) -> list[tuple[str, str]]:
    """Routes that need a membership, minus the event stream (tested in isolation)."""
    return [(r.method, r.path) for r in route_rules(app) if r.member and r.path != "/api/v1/events"]


def test_matrix_lists_every_member_route_once(app):
    roles, table = read_matrix()
    assert set(roles) == {r.key for r in BUILTIN_ROLES}, "one column per built-in role"
    routes = set(_member_routes(app))
    missing = sorted(routes - set(table))
    extra = sorted(set(table) - routes)
    assert not missing, f"routes without a reviewed row in {MATRIX.name}: {missing}"
    assert not extra, f"rows in {MATRIX.name} for routes that do not exist: {extra}"


# application actions tried on an application of their own, in this state
FRESH = {
    "approve": "pending",
    "reject": "pending",
    "transfer": "pending",
    "add-approver": "pending",
    "withdraw": "pending",
    "submit": "draft",
    "end": "approved",
    "window": "approved",
    "add-presses": "approved",
}


async def _request_maker(admin: Api, world: World) -> Callable[[str], Awaitable[str]]:
    """Applications by an applicant of the world's unit, decided by a keeper of their own:
    both strangers to the member under test."""
    unit = world.ids["unit_id"]
    applicant = await add_member(admin, name="申请人", roles=["employee"], unit_ids=[unit])
    keeper = await add_member(admin, name="管章人", roles=["keeper"], unit_ids=[unit])
    seal = await admin.post(
        "/api/v1/seals",
        json={
            "kind": "physical",
            "type": "finance",
            "name": "矩阵章",
            "code": f"M{uuid.uuid4().hex[:8]}",
            "unit_id": unit,
            "keeper_ids": [keeper.user_id],
        },
    )

    async def make(state: str) -> str:
        doc = await applicant.call(
            "POST",
            "/api/v1/documents",
            expect=201,
            files={"file": ("a.pdf", reportlab_pdf(1), "application/pdf")},
        )
        now = clock.now()
        req = await applicant.post(
            "/api/v1/requests",
            json={
                "name": "矩阵申请",
                "valid_from": now.isoformat(),
                "valid_until": (now + timedelta(days=2)).isoformat(),
                "document_ids": [doc.json()["id"]],
                "items": [{"seal_id": seal["id"], "presses": 1}],
                "submit": state != "draft",
            },
        )
        if state == "approved":
            await keeper.post(f"/api/v1/requests/{req['id']}/approve", json={}, expect=200)
        return str(req["id"])

    return make


def _outcome(r: httpx.Response) -> str:
    if r.status_code in (401, 403):
        return str(r.status_code)
    # hidden: the object is out of reach; a 404 about a part (no logo yet) got past the checks
    if r.status_code == 404 and str(r.json().get("code", "")).endswith("not_found"):
        return "404"
    return "ok"


def _order(route: tuple[str, str]) -> tuple[int, str, str]:
    # reads first, deletes last: an allowed delete must not hide the object from later rows
    rank = {"GET": 0, "DELETE": 2}.get(route[0], 1)
    return rank, route[1], route[0]


@pytest.mark.parametrize("role", [r.key for r in BUILTIN_ROLES])
async def test_role_against_every_route(client, app, role):
    """A member with only this role, stranger to the objects (not applicant, approver or
    keeper), calls every route on real objects of the organisation with valid bodies.
    `ok`: not refused (any answer but 401/403/404); `403`: refused; `404`: hidden."""
    _, table = read_matrix()
    admin = await register_org(client, app)
    world = await build_world(app, admin)
    member = await add_member(admin, name=f"{role}-成员", roles=[role])
    fresh = await _request_maker(admin, world)
    wrong = []
    for method, path in sorted(_member_routes(app), key=_order):
        want = table[(method, path)][role]
        ids = dict(world.ids)
        if (state := FRESH.get(path.rsplit("/", 1)[-1])) and "{request_id}/" in path:
            # its own application in the state the action needs: an earlier allowed call
            # (end, reject...) must not turn this one into a 409 that hides the check
            ids["request_id"] = await fresh(state)
        url = path
        for name in re.findall(r"\{([^}]+)\}", path):
            url = url.replace("{" + name + "}", ids[name])
        if (method, path) in UPLOADS:
            r = await member.call(method, url, files=upload_file())
        else:
            r = await member.call(method, url, json=world.bodies.get((method, path), {}))
        assert r.status_code < 500, f"{method} {path}: {r.status_code} {r.text}"
        got = _outcome(r)
        if got != want:
            wrong.append(f"{method},{path}: table says {want}, code does {got} ({r.text[:120]})")
    assert not wrong, f"{role} disagrees with {MATRIX.name}:\n" + "\n".join(wrong)
