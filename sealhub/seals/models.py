"""Seal tables (private to this context)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from sealhub.platform import clock
from sealhub.platform.db.base import Base, CreatedUpdatedMixin, IdMixin, TenantMixin
from sealhub.seals.policy import SealStatus


class Seal(IdMixin, TenantMixin, CreatedUpdatedMixin, Base):
    """One seal of an organisation, whatever its kind."""

    __tablename__ = "seals"
    __table_args__ = (UniqueConstraint("org_id", "code"),)

    kind: Mapped[str] = mapped_column(String(20))
    type: Mapped[str] = mapped_column(String(30))
    # only for type "custom": the organisation's own name for it
    custom_type_name: Mapped[str | None] = mapped_column(String(50), default=None)
    name: Mapped[str] = mapped_column(String(100))
    code: Mapped[str] = mapped_column(String(60))
    unit_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("org_units.id"), index=True)
    description: Mapped[str] = mapped_column(Text, default="")
    image_object_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("stored_objects.id"), default=None
    )
    status: Mapped[str] = mapped_column(String(20), default=SealStatus.ACTIVE)
    status_reason: Mapped[str] = mapped_column(String(500), default="")
    status_changed_at: Mapped[datetime | None] = mapped_column(default=None)
    # kind-specific facts filled in by later features (e-seal certificate, device binding)
    specifics: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    device_id: Mapped[uuid.UUID | None] = mapped_column(default=None, index=True)
    created_by: Mapped[uuid.UUID | None] = mapped_column(default=None)
    updated_by: Mapped[uuid.UUID | None] = mapped_column(default=None)


class SealKeeper(IdMixin, TenantMixin, Base):
    """A member who keeps a seal (管章人)."""

    __tablename__ = "seal_keepers"
    __table_args__ = (UniqueConstraint("seal_id", "user_id"),)

    seal_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("seals.id", ondelete="CASCADE"))
    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(default=clock.now)


class SealStatusChange(IdMixin, TenantMixin, Base):
    """One step of a seal's status history (the first row is its registration)."""

    __tablename__ = "seal_status_changes"
    __table_args__ = (Index("ix_seal_status_changes_seal_at", "seal_id", "at"),)

    seal_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("seals.id", ondelete="CASCADE"))
    from_status: Mapped[str | None] = mapped_column(String(20), default=None)
    to_status: Mapped[str] = mapped_column(String(20))
    reason: Mapped[str] = mapped_column(String(500), default="")
    actor_id: Mapped[uuid.UUID | None] = mapped_column(default=None)
    actor_name: Mapped[str] = mapped_column(String(100), default="")
    at: Mapped[datetime] = mapped_column(default=clock.now)


class CustodyRecord(IdMixin, TenantMixin, Base):
    """A physical seal handed out to a holder and (later) taken back."""

    __tablename__ = "custody_records"
    __table_args__ = (
        Index("ix_custody_records_seal_out", "seal_id", "handed_out_at"),
        Index("ix_custody_records_open_due", "org_id", "returned_at", "expected_return_at"),
    )

    seal_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("seals.id", ondelete="CASCADE"))
    # the stamp application it serves; no foreign key (requests owns that table)
    request_id: Mapped[uuid.UUID | None] = mapped_column(default=None, index=True)
    holder_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id"), index=True)
    handed_out_by: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id"))
    handed_out_at: Mapped[datetime] = mapped_column(default=clock.now)
    expected_return_at: Mapped[datetime | None] = mapped_column(default=None)
    carried_out: Mapped[bool] = mapped_column(default=False)  # 外带: leaves the premises
    note: Mapped[str] = mapped_column(String(500), default="")
    returned_at: Mapped[datetime | None] = mapped_column(default=None)
    returned_to: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"), default=None)
    return_note: Mapped[str] = mapped_column(String(500), default="")
    # presses the keeper counted on the returned documents (None: not counted)
    presses: Mapped[int | None] = mapped_column(default=None)
    # = seal_id while open, NULL once returned: a unique column that every database
    # enforces (NULLs never collide), so two racing hand-outs cannot both succeed
    open_seal_id: Mapped[uuid.UUID | None] = mapped_column(unique=True, default=None)
