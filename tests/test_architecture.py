"""Architecture rules that import-linter cannot express."""

from __future__ import annotations

import ast
from pathlib import Path

from sealhub.models import metadata
from sealhub.platform.db.base import Base

ROOT = Path(__file__).resolve().parents[1] / "sealhub"
# Functions (by name, wherever they live: code moves; a module-level statement goes by the
# name it is assigned to) that may query tenant tables without a TenantRepository, and why.
# Every entry is a reviewed exception; an entry that no longer matches anything fails.
_SIGN_IN = "sign-in and actor building: no tenant-bound actor yet, spans organisations"
_LOOKUP = "identity look-ups for other contexts: explicit org_id on every query"
ALLOWED: dict[str, str] = {
    "join_organization": _SIGN_IN,
    "_default_org": _SIGN_IN,
    "_name_in": _SIGN_IN,
    "_active_membership": _SIGN_IN,
    "build_actor": _SIGN_IN,
    "_authenticate_api_key": _SIGN_IN,
    "memberships_of": _SIGN_IN,
    "_record_for_person": "account-level changes recorded in each organisation of the person",
    "_UNIT_CHAIN": _LOOKUP,
    "_MEMBERS_INFO": _LOOKUP,
    "users_with_role": _LOOKUP,
    "role_exists": _LOOKUP,
    "names": _LOOKUP,
    "unit_names": _LOOKUP,
    "unit_exists": _LOOKUP,
}
# Found when the check learnt to see `select(Model.col)`, `update`, `delete`: identity's
# service queries with an explicit `org_id == actor.org_id`, correct but outside a
# repository. The identity split (issue 7 item 5) moves them into repositories; delete
# each entry as its query moves.
STATEMENTS = {"select", "update", "delete", "insert"}


def _tenant_models() -> set[str]:
    metadata()
    names = set()
    for mapper in Base.registry.mappers:
        cls = mapper.class_
        if "org_id" in cls.__table__.columns and cls.__table__.c.org_id.nullable is False:
            names.add(cls.__name__)
    return names


def _exempt(rel: str) -> bool:
    parts = rel.removesuffix(".py").split("/")
    return (
        parts[0] == "platform"
        or parts[-1] in ("models", "repository", "repositories")
        or "repository" in parts[:-1]
    )


def tenant_queries(tree: ast.AST, tenant: set[str]) -> list[tuple[int, str, str]]:
    """(line, enclosing function, what) for each statement that names a tenant model:
    `select(Model)`, `select(Model.col)`, `select(func.count(Model.id))`, `update(Model)`,
    `delete(Model)`, `insert(Model)` (bare or as `sa.select`...), and `x.get(Model, ...)`."""
    found: list[tuple[int, str, str]] = []

    def models_in(nodes: list[ast.expr]) -> list[str]:
        names = []
        for arg in nodes:
            for sub in ast.walk(arg):
                if isinstance(sub, ast.Name) and sub.id in tenant and sub.id not in names:
                    names.append(sub.id)
        return names

    def visit(node: ast.AST, func: str) -> None:
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            func = node.name
        elif func == "<module>" and isinstance(node, ast.Assign | ast.AnnAssign):
            target = node.targets[0] if isinstance(node, ast.Assign) else node.target
            if isinstance(target, ast.Name):
                func = target.id
        if isinstance(node, ast.Call):
            callee = node.func
            name = (
                callee.id
                if isinstance(callee, ast.Name)
                else callee.attr
                if isinstance(callee, ast.Attribute)
                else ""
            )
            if name in STATEMENTS and (models := models_in(node.args)):
                found.append((node.lineno, func, f"{name}({', '.join(models)})"))
            elif (
                name == "get"
                and isinstance(callee, ast.Attribute)
                and node.args
                and isinstance(node.args[0], ast.Name)
                and node.args[0].id in tenant
            ):
                found.append((node.lineno, func, f"get({node.args[0].id}, ...)"))
        for child in ast.iter_child_nodes(node):
            visit(child, func)

    visit(tree, "<module>")
    return found


def test_tenant_tables_are_queried_through_repositories():
    tenant = _tenant_models()
    assert {"Membership", "OrgUnit", "Role"} <= tenant
    offenders = []
    used = set()
    for path in sorted(ROOT.rglob("*.py")):
        rel = path.relative_to(ROOT).as_posix()
        if _exempt(rel):
            continue
        for line, func, what in tenant_queries(ast.parse(path.read_text()), tenant):
            if func in ALLOWED:
                used.add(func)
                continue
            offenders.append(f"{rel}:{line} in {func}(): {what}")
    assert not offenders, "query tenant tables through a TenantRepository:\n" + "\n".join(offenders)
    stale = set(ALLOWED) - used
    assert not stale, f"allow-list entries that match nothing any more, delete them: {stale}"


def test_the_check_sees_every_statement_form():
    """The detector itself, on code that must be caught (and code that must not)."""
    source = """
async def f(session, obj):
    select(Seal)
    select(Seal.id, Seal.name)
    sa.select(func.count(Seal.id))
    update(Seal).where(Seal.id == 1)
    delete(Seal)
    sa.insert(Seal)
    await session.get(Seal, 1)
    await session.delete(obj)
    select(Organization)
    settings.get("x", 1)
"""
    found = [what for _, _, what in tenant_queries(ast.parse(source), {"Seal"})]
    assert found == [
        "select(Seal)",
        "select(Seal)",
        "select(Seal)",
        "update(Seal)",
        "delete(Seal)",
        "insert(Seal)",
        "get(Seal, ...)",
    ]


def test_no_relationships():
    # ordering by foreign key is done with explicit flushes; relationships would hide queries
    for path in ROOT.rglob("models.py"):
        assert "relationship(" not in path.read_text(), path
