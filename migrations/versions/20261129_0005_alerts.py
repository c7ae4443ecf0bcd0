"""alerts (the notify context), and alert.read / alert.manage for the built-in roles

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-29
"""

import json
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import sealhub.platform.db.base

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# what sealhub/identity/permissions.py grants the built-in roles of new organisations
GRANTS = {
    "admin": ["alert.read", "alert.manage"],
    "keeper": ["alert.read", "alert.manage"],
    "it": ["alert.read", "alert.manage"],
    "auditor": ["alert.read"],
}
ALL = ("alert.read", "alert.manage")


def upgrade() -> None:
    op.create_table(
        "alerts",
        sa.Column("kind", sa.String(length=64), nullable=False),
        sa.Column("severity", sa.String(length=20), nullable=False),
        sa.Column("subject_type", sa.String(length=40), nullable=False),
        sa.Column("subject_id", sa.String(length=64), nullable=False),
        sa.Column("request_id", sa.Uuid(), nullable=True),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("open_flag", sa.Boolean(), nullable=True),
        sa.Column("details", sa.JSON(), nullable=False),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.Column("first_at", sealhub.platform.db.base.UTCDateTime(), nullable=False),
        sa.Column("last_at", sealhub.platform.db.base.UTCDateTime(), nullable=False),
        sa.Column("acknowledged_at", sealhub.platform.db.base.UTCDateTime(), nullable=True),
        sa.Column("acknowledged_by", sa.Uuid(), nullable=True),
        sa.Column("acknowledged_by_name", sa.String(length=100), nullable=False),
        sa.Column("acknowledge_comment", sa.String(length=500), nullable=False),
        sa.Column("resolved_at", sealhub.platform.db.base.UTCDateTime(), nullable=True),
        sa.Column("resolved_by", sa.Uuid(), nullable=True),
        sa.Column("resolved_by_name", sa.String(length=100), nullable=False),
        sa.Column("resolve_comment", sa.String(length=500), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("org_id", sa.Uuid(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_alerts")),
        sa.UniqueConstraint(
            "org_id",
            "kind",
            "subject_type",
            "subject_id",
            "open_flag",
            name=op.f("uq_alerts_org_id_kind_subject_type_subject_id_open_flag"),
        ),
    )
    with op.batch_alter_table("alerts", schema=None) as batch_op:
        batch_op.create_index("ix_alerts_org_last", ["org_id", "last_at"], unique=False)
        batch_op.create_index(
            "ix_alerts_org_status_last", ["org_id", "status", "last_at"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_alerts_org_id"), ["org_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_alerts_request_id"), ["request_id"], unique=False)
    _grant(add=True)


def downgrade() -> None:
    _grant(add=False)
    with op.batch_alter_table("alerts", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_alerts_request_id"))
        batch_op.drop_index(batch_op.f("ix_alerts_org_id"))
        batch_op.drop_index("ix_alerts_org_status_last")
        batch_op.drop_index("ix_alerts_org_last")
    op.drop_table("alerts")


def _grant(add: bool) -> None:
    bind = op.get_bind()
    rows = bind.execute(sa.text("SELECT id, permissions, builtin_key FROM roles")).all()
    for role_id, raw, builtin in rows:
        perms = json.loads(raw) if isinstance(raw, str) else list(raw or [])
        if add:
            new = [*perms, *(p for p in GRANTS.get(builtin or "", []) if p not in perms)]
        else:
            new = [p for p in perms if p not in ALL]
        if new != perms:
            bind.execute(
                sa.text("UPDATE roles SET permissions = :p WHERE id = :id"),
                {"p": json.dumps(new), "id": role_id},
            )
