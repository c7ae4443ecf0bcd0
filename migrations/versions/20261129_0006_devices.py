"""devices: the smart-seal fleet, commands, journal events, telemetry, media, fingerprints

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-29 22:05:23.436369
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import sealhub.platform.db.base


revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "devices",
        sa.Column("serial", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("model", sa.String(length=60), nullable=False),
        sa.Column("unit_id", sa.Uuid(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("claim_hash", sa.String(length=64), nullable=False),
        sa.Column("mqtt_password_hash", sa.String(length=200), nullable=False),
        sa.Column("public_key_hex", sa.String(length=64), nullable=False),
        sa.Column("secret_sealed", sa.Text(), nullable=False),
        sa.Column("seal_id", sa.Uuid(), nullable=True),
        sa.Column("online", sa.Boolean(), nullable=False),
        sa.Column("last_seen_at", sealhub.platform.db.base.UTCDateTime(), nullable=True),
        sa.Column("protocol_version", sa.String(length=20), nullable=False),
        sa.Column("firmware", sa.String(length=60), nullable=False),
        sa.Column("capabilities", sa.JSON(), nullable=False),
        sa.Column("twin", sa.JSON(), nullable=False),
        sa.Column("journal_seq", sa.Integer(), nullable=False),
        sa.Column("journal_hash", sa.String(length=64), nullable=False),
        sa.Column("status_reason", sa.String(length=500), nullable=False),
        sa.Column("created_by", sa.Uuid(), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("org_id", sa.Uuid(), nullable=False),
        sa.Column("created_at", sealhub.platform.db.base.UTCDateTime(), nullable=False),
        sa.Column("updated_at", sealhub.platform.db.base.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["seal_id"], ["seals.id"], name=op.f("fk_devices_seal_id_seals")),
        sa.ForeignKeyConstraint(
            ["unit_id"], ["org_units.id"], name=op.f("fk_devices_unit_id_org_units")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_devices")),
        sa.UniqueConstraint("seal_id", name=op.f("uq_devices_seal_id")),
        sa.UniqueConstraint("serial", name=op.f("uq_devices_serial")),
    )
    with op.batch_alter_table("devices", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_devices_org_id"), ["org_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_devices_unit_id"), ["unit_id"], unique=False)

    op.create_table(
        "device_commands",
        sa.Column("device_id", sa.Uuid(), nullable=False),
        sa.Column("kind", sa.String(length=40), nullable=False),
        sa.Column("params", sa.JSON(), nullable=False),
        sa.Column("state", sa.String(length=20), nullable=False),
        sa.Column("request_id", sa.Uuid(), nullable=True),
        sa.Column("item_id", sa.Uuid(), nullable=True),
        sa.Column("created_at", sealhub.platform.db.base.UTCDateTime(), nullable=False),
        sa.Column("created_by", sa.Uuid(), nullable=True),
        sa.Column("sent_at", sealhub.platform.db.base.UTCDateTime(), nullable=True),
        sa.Column("acked_at", sealhub.platform.db.base.UTCDateTime(), nullable=True),
        sa.Column("finished_at", sealhub.platform.db.base.UTCDateTime(), nullable=True),
        sa.Column("timeout_at", sealhub.platform.db.base.UTCDateTime(), nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("result", sa.JSON(), nullable=True),
        sa.Column("error", sa.String(length=500), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("org_id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["device_id"],
            ["devices.id"],
            name=op.f("fk_device_commands_device_id_devices"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_device_commands")),
    )
    with op.batch_alter_table("device_commands", schema=None) as batch_op:
        batch_op.create_index(
            "ix_device_commands_device_state", ["device_id", "state"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_device_commands_org_id"), ["org_id"], unique=False)
        batch_op.create_index("ix_device_commands_request", ["org_id", "request_id"], unique=False)

    op.create_table(
        "device_events",
        sa.Column("device_id", sa.Uuid(), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=40), nullable=False),
        sa.Column("at", sealhub.platform.db.base.UTCDateTime(), nullable=False),
        sa.Column("received_at", sealhub.platform.db.base.UTCDateTime(), nullable=False),
        sa.Column("request_id", sa.Uuid(), nullable=True),
        sa.Column("item_id", sa.Uuid(), nullable=True),
        sa.Column("seal_id", sa.Uuid(), nullable=True),
        sa.Column("entry_hash", sa.String(length=64), nullable=False),
        sa.Column("prev_hash", sa.String(length=64), nullable=False),
        sa.Column("source", sa.String(length=10), nullable=False),
        sa.Column("body", sa.JSON(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("org_id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["device_id"],
            ["devices.id"],
            name=op.f("fk_device_events_device_id_devices"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_device_events")),
        sa.UniqueConstraint("device_id", "seq", name=op.f("uq_device_events_device_id_seq")),
    )
    with op.batch_alter_table("device_events", schema=None) as batch_op:
        batch_op.create_index("ix_device_events_device_at", ["device_id", "at"], unique=False)
        batch_op.create_index(batch_op.f("ix_device_events_org_id"), ["org_id"], unique=False)
        batch_op.create_index("ix_device_events_request", ["org_id", "request_id"], unique=False)

    op.create_table(
        "device_fingerprints",
        sa.Column("device_id", sa.Uuid(), nullable=False),
        sa.Column("slot", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("enrolled_at", sealhub.platform.db.base.UTCDateTime(), nullable=True),
        sa.Column("created_at", sealhub.platform.db.base.UTCDateTime(), nullable=False),
        sa.Column("command_id", sa.Uuid(), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("org_id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["device_id"],
            ["devices.id"],
            name=op.f("fk_device_fingerprints_device_id_devices"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_device_fingerprints_user_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_device_fingerprints")),
        sa.UniqueConstraint(
            "device_id", "slot", name=op.f("uq_device_fingerprints_device_id_slot")
        ),
    )
    with op.batch_alter_table("device_fingerprints", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_device_fingerprints_org_id"), ["org_id"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_device_fingerprints_user_id"), ["user_id"], unique=False
        )

    op.create_table(
        "device_media",
        sa.Column("device_id", sa.Uuid(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("content_type", sa.String(length=100), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("expires_at", sealhub.platform.db.base.UTCDateTime(), nullable=False),
        sa.Column("created_at", sealhub.platform.db.base.UTCDateTime(), nullable=False),
        sa.Column("object_id", sa.Uuid(), nullable=True),
        sa.Column("uploaded_at", sealhub.platform.db.base.UTCDateTime(), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("org_id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["device_id"],
            ["devices.id"],
            name=op.f("fk_device_media_device_id_devices"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["object_id"],
            ["stored_objects.id"],
            name=op.f("fk_device_media_object_id_stored_objects"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_device_media")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_device_media_token_hash")),
    )
    with op.batch_alter_table("device_media", schema=None) as batch_op:
        batch_op.create_index("ix_device_media_device_sha", ["device_id", "sha256"], unique=False)
        batch_op.create_index(batch_op.f("ix_device_media_org_id"), ["org_id"], unique=False)

    op.create_table(
        "device_seal_bindings",
        sa.Column("device_id", sa.Uuid(), nullable=False),
        sa.Column("seal_id", sa.Uuid(), nullable=False),
        sa.Column("bound_at", sealhub.platform.db.base.UTCDateTime(), nullable=False),
        sa.Column("bound_by", sa.Uuid(), nullable=True),
        sa.Column("unbound_at", sealhub.platform.db.base.UTCDateTime(), nullable=True),
        sa.Column("unbound_by", sa.Uuid(), nullable=True),
        sa.Column("reason", sa.String(length=500), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("org_id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["device_id"],
            ["devices.id"],
            name=op.f("fk_device_seal_bindings_device_id_devices"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["seal_id"], ["seals.id"], name=op.f("fk_device_seal_bindings_seal_id_seals")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_device_seal_bindings")),
    )
    with op.batch_alter_table("device_seal_bindings", schema=None) as batch_op:
        batch_op.create_index(
            "ix_device_seal_bindings_device_at", ["device_id", "bound_at"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_device_seal_bindings_org_id"), ["org_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_device_seal_bindings_seal_id"), ["seal_id"], unique=False
        )

    op.create_table(
        "device_telemetry",
        sa.Column("device_id", sa.Uuid(), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("at", sealhub.platform.db.base.UTCDateTime(), nullable=False),
        sa.Column("battery", sa.Integer(), nullable=True),
        sa.Column("ink_used", sa.Integer(), nullable=True),
        sa.Column("ink_capacity", sa.Integer(), nullable=True),
        sa.Column("signal", sa.Integer(), nullable=True),
        sa.Column("readings", sa.JSON(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("org_id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["device_id"],
            ["devices.id"],
            name=op.f("fk_device_telemetry_device_id_devices"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_device_telemetry")),
    )
    with op.batch_alter_table("device_telemetry", schema=None) as batch_op:
        batch_op.create_index("ix_device_telemetry_device_at", ["device_id", "at"], unique=False)
        batch_op.create_index(batch_op.f("ix_device_telemetry_org_id"), ["org_id"], unique=False)


def downgrade() -> None:
    # the tables' indexes go with them (MariaDB refuses to drop one a foreign key needs)
    for table in (
        "device_telemetry",
        "device_seal_bindings",
        "device_media",
        "device_fingerprints",
        "device_events",
        "device_commands",
        "devices",
    ):
        op.drop_table(table)
