"""invitations: consent before a membership; accounts remember the organisation that opened them

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-29 19:50:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import sealhub.platform.db.base

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "invitations",
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("real_name", sa.String(length=50), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("role_ids", sa.JSON(), nullable=False),
        sa.Column("unit_ids", sa.JSON(), nullable=False),
        sa.Column("invited_by", sa.Uuid(), nullable=False),
        sa.Column("expires_at", sealhub.platform.db.base.UTCDateTime(), nullable=False),
        sa.Column("decided_at", sealhub.platform.db.base.UTCDateTime(), nullable=True),
        sa.Column("code_hash", sa.String(length=64), nullable=True),
        sa.Column("code_failures", sa.Integer(), nullable=False),
        sa.Column("membership_id", sa.Uuid(), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("org_id", sa.Uuid(), nullable=False),
        sa.Column("created_at", sealhub.platform.db.base.UTCDateTime(), nullable=False),
        sa.Column("updated_at", sealhub.platform.db.base.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["invited_by"], ["users.id"], name=op.f("fk_invitations_invited_by_users")
        ),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name=op.f("fk_invitations_user_id_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_invitations")),
    )
    with op.batch_alter_table("invitations", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_invitations_org_id"), ["org_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_invitations_user_id"), ["user_id"], unique=False)
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.add_column(sa.Column("created_by_org_id", sa.Uuid(), nullable=True))


def downgrade() -> None:
    # natively on SQLite too: a batch copy would DROP TABLE users, refused by foreign keys
    if op.get_bind().dialect.name == "sqlite":
        op.execute("ALTER TABLE users DROP COLUMN created_by_org_id")
    else:
        op.drop_column("users", "created_by_org_id")
    # the table's indexes go with it (MariaDB refuses to drop one a foreign key needs)
    op.drop_table("invitations")
