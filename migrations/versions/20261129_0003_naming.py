"""one naming scheme (docs/adr/0001-naming.md): stored audit actions, queued events, roles

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-29
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

AUDIT = {
    "org.unit_create": "unit.create",
    "org.unit_update": "unit.update",
    "org.unit_delete": "unit.delete",
    "org.unit_move": "unit.move",
    "org.unit_logo": "unit.set_logo",
    "org.unit_supervisors": "unit.set_supervisors",
    "integration.apikey_create": "apikey.create",
    "integration.apikey_revoke": "apikey.revoke",
}
EVENTS = {"identity.join_requested": "member.join_requested"}
PREFIXES = {"requests.": "request.", "seals.": "seal.", "flows.": "flow."}


def _forward(name: str, table: dict[str, str]) -> str:
    if name in table:
        return table[name]
    for old, new in PREFIXES.items():
        if name.startswith(old):
            return new + name[len(old) :]
    return name


def _backward(name: str, table: dict[str, str]) -> str:
    reverse = {v: k for k, v in table.items()}
    if name in reverse:
        return reverse[name]
    for old, new in PREFIXES.items():
        if name.startswith(new):
            return old + name[len(new) :]
    return name


def _rename(table: str, column: str, fn: Callable[[str], str]) -> None:
    bind = op.get_bind()
    names = [row[0] for row in bind.execute(sa.text(f"SELECT DISTINCT {column} FROM {table}"))]
    for old in names:
        new = fn(old)
        if new != old:
            bind.execute(
                sa.text(f"UPDATE {table} SET {column} = :new WHERE {column} = :old"),
                {"new": new, "old": old},
            )


def _roles(add: bool) -> None:
    # request.approve was granted but checked nowhere: approval authority is the flow's
    bind = op.get_bind()
    rows = bind.execute(sa.text("SELECT id, permissions, builtin_key FROM roles")).all()
    for role_id, raw, builtin in rows:
        perms = json.loads(raw) if isinstance(raw, str) else list(raw or [])
        if add:
            if builtin in ("admin", "approver", "keeper") and "request.approve" not in perms:
                perms = [*perms, "request.approve"]
            else:
                continue
        elif "request.approve" in perms:
            perms = [p for p in perms if p != "request.approve"]
        else:
            continue
        bind.execute(
            sa.text("UPDATE roles SET permissions = :p WHERE id = :id"),
            {"p": json.dumps(perms), "id": role_id},
        )


def upgrade() -> None:
    _rename("audit_entries", "action", lambda n: _forward(n, AUDIT))
    _rename("outbox_events", "name", lambda n: _forward(n, EVENTS))
    _roles(add=False)


def downgrade() -> None:
    _rename("audit_entries", "action", lambda n: _backward(n, AUDIT))
    _rename("outbox_events", "name", lambda n: _backward(n, EVENTS))
    _roles(add=True)
