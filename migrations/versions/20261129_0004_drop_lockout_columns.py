"""drop users.failed_logins and users.locked_until (sign-in failures are counted in the cache)

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-29
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import sealhub.platform.db.base

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # the hard lock an attacker could trigger is gone: growing delays live in the cache
    # (sealhub/platform/ratelimit.py), so these columns are no longer read or written.
    # SQLite drops them natively (3.35+): a batch copy would DROP TABLE users, which
    # foreign keys from memberships and sessions refuse once there is data.
    for column in ("locked_until", "failed_logins"):
        if op.get_bind().dialect.name == "sqlite":
            op.execute(f"ALTER TABLE users DROP COLUMN {column}")
        else:
            op.drop_column("users", column)


def downgrade() -> None:
    op.add_column(
        "users", sa.Column("failed_logins", sa.Integer(), nullable=False, server_default="0")
    )
    op.add_column(
        "users", sa.Column("locked_until", sealhub.platform.db.base.UTCDateTime(), nullable=True)
    )
