"""inspection results and settings (the inspection context)

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-29
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import sealhub.platform.db.base

revision: str = "0009"
# the brief says "0004"; this branch merged notify (0005) and needs a linear chain to test:
# the lead re-chains at merge
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "inspection_results",
        sa.Column("request_id", sa.Uuid(), nullable=False),
        sa.Column("photo_id", sa.Uuid(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("verdict", sa.String(length=30), nullable=True),
        sa.Column("document_id", sa.Uuid(), nullable=True),
        sa.Column("page", sa.Integer(), nullable=True),
        sa.Column("similarity", sa.Double(), nullable=True),
        sa.Column("precision", sa.String(length=10), nullable=False),
        sa.Column("engine", sa.String(length=30), nullable=False),
        sa.Column("details", sa.JSON(), nullable=False),
        sa.Column("highlight_object_id", sa.Uuid(), nullable=True),
        sa.Column("original_object_id", sa.Uuid(), nullable=True),
        sa.Column("seconds", sa.Double(), nullable=True),
        sa.Column("created_at", sealhub.platform.db.base.UTCDateTime(), nullable=False),
        sa.Column("inspected_at", sealhub.platform.db.base.UTCDateTime(), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("org_id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["photo_id"],
            ["stamp_photos.id"],
            name=op.f("fk_inspection_results_photo_id_stamp_photos"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["request_id"],
            ["stamp_requests.id"],
            name=op.f("fk_inspection_results_request_id_stamp_requests"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_inspection_results")),
        sa.UniqueConstraint(
            "org_id", "photo_id", name=op.f("uq_inspection_results_org_id_photo_id")
        ),
    )
    with op.batch_alter_table("inspection_results", schema=None) as batch_op:
        batch_op.create_index(
            "ix_inspection_results_request", ["org_id", "request_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_inspection_results_org_id"), ["org_id"], unique=False)
    op.create_table(
        "inspection_settings",
        sa.Column("precision", sa.String(length=10), nullable=False),
        sa.Column("updated_at", sealhub.platform.db.base.UTCDateTime(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("org_id", sa.Uuid(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_inspection_settings")),
        sa.UniqueConstraint("org_id", name=op.f("uq_inspection_settings_org_id")),
    )
    with op.batch_alter_table("inspection_settings", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_inspection_settings_org_id"), ["org_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("inspection_settings", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_inspection_settings_org_id"))
    op.drop_table("inspection_settings")
    with op.batch_alter_table("inspection_results", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_inspection_results_org_id"))
        batch_op.drop_index("ix_inspection_results_request")
    op.drop_table("inspection_results")
