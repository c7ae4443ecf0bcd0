"""Each built-in role × each route: allowed or denied exactly as docs/permissions.md says."""

from __future__ import annotations

import re
import uuid
from pathlib import Path

import pytest

from sealhub.api.introspect import permissions_markdown, route_rules
from sealhub.identity.permissions import BUILTIN_ROLES
from tests.builders import add_member, register_org

DOC = Path(__file__).resolve().parents[1] / "docs" / "permissions.md"


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
    }
    for rule in route_rules(app):
        if rule.method in ("POST", "PUT", "PATCH", "DELETE") and rule.path not in public_ok:
            assert rule.signed_in, f"{rule.method} {rule.path} is open to anyone"


def _fill(path: str) -> str:
    return re.sub(r"\{[^}]+\}", str(uuid.UUID(int=1)), path)


@pytest.mark.parametrize("role", [r.key for r in BUILTIN_ROLES])
async def test_role_against_every_route(client, app, role):
    admin = await register_org(client, app)
    member = await add_member(admin, name=f"{role}-成员", roles=[role])
    held = set(next(r for r in BUILTIN_ROLES if r.key == role).permissions)
    checked = 0
    for rule in route_rules(app):
        if not rule.permissions or rule.path.endswith("/events"):
            continue
        r = await member.call(rule.method, _fill(rule.path), json={})
        allowed = set(rule.permissions) <= held
        assert r.status_code < 500, f"{rule.method} {rule.path}: {r.status_code} {r.text}"
        if allowed:
            assert r.status_code != 403, f"{role} denied {rule.method} {rule.path}: {r.text}"
        else:
            assert r.status_code == 403, (
                f"{role} reached {rule.method} {rule.path}: {r.status_code}"
            )
            assert r.json()["code"] == "common.forbidden"
        checked += 1
    assert checked > 20
