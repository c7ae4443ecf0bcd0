"""Architecture rules that import-linter cannot express."""

from __future__ import annotations

import ast
from pathlib import Path

from sealhub.models import metadata
from sealhub.platform.db.base import Base

ROOT = Path(__file__).resolve().parents[1] / "sealhub"
# modules that may query tenant tables without a TenantRepository, and why
ALLOWED = {
    # authentication happens before there is a tenant-bound actor
    "identity/auth.py": "sign-in spans organisations",
    # service-to-service look-ups take an explicit org_id and filter on it
    "identity/lookup.py": "explicit org_id on every query",
}


def _tenant_models() -> set[str]:
    metadata()
    names = set()
    for mapper in Base.registry.mappers:
        cls = mapper.class_
        if "org_id" in cls.__table__.columns and cls.__table__.c.org_id.nullable is False:
            names.add(cls.__name__)
    return names


def test_tenant_tables_are_queried_through_repositories():
    tenant = _tenant_models()
    assert {"Membership", "OrgUnit", "Role"} <= tenant
    offenders = []
    for path in ROOT.rglob("*.py"):
        rel = path.relative_to(ROOT).as_posix()
        if (
            path.name in ("repository.py", "models.py")
            or rel in ALLOWED
            or rel.startswith("platform/")
        ):
            continue
        for node in ast.walk(ast.parse(path.read_text())):
            if (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Name)
                and node.func.id == "select"
                and any(isinstance(a, ast.Name) and a.id in tenant for a in node.args)
            ):
                names = ", ".join(a.id for a in node.args if isinstance(a, ast.Name))
                offenders.append(f"{rel}:{node.lineno} select({names})")
    assert not offenders, "query tenant tables through a TenantRepository:\n" + "\n".join(offenders)


def test_no_relationships():
    # ordering by foreign key is done with explicit flushes; relationships would hide queries
    for path in ROOT.rglob("models.py"):
        assert "relationship(" not in path.read_text(), path
