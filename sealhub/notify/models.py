"""Alert tables (private to this context)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from sealhub.notify.policy import AlertStatus
from sealhub.platform import clock
from sealhub.platform.db.base import Base, IdMixin, TenantMixin


class Alert(IdMixin, TenantMixin, Base):
    """One condition on one object (a device, a page, an application), however often it
    repeats while unresolved: `count` and `last_at` grow, no new row."""

    __tablename__ = "alerts"
    __table_args__ = (
        # `open_flag` is True until the alert is resolved, then NULL: NULLs never collide
        # on any of the three databases, so at most one unresolved alert per condition and
        # object, and racing raisers meet in one upsert instead of a read-then-write
        UniqueConstraint("org_id", "kind", "subject_type", "subject_id", "open_flag"),
        Index("ix_alerts_org_status_last", "org_id", "status", "last_at"),
        Index("ix_alerts_org_last", "org_id", "last_at"),
    )

    kind: Mapped[str] = mapped_column(String(64))
    severity: Mapped[str] = mapped_column(String(20))
    subject_type: Mapped[str] = mapped_column(String(40))
    subject_id: Mapped[str] = mapped_column(String(64))
    # the application it concerns, if any; no foreign key (requests owns that table)
    request_id: Mapped[uuid.UUID | None] = mapped_column(default=None, index=True)
    status: Mapped[str] = mapped_column(String(20), default=AlertStatus.OPEN)
    open_flag: Mapped[bool | None] = mapped_column(default=True)
    details: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    count: Mapped[int] = mapped_column(default=1)
    first_at: Mapped[datetime] = mapped_column(default=clock.now)
    last_at: Mapped[datetime] = mapped_column(default=clock.now)
    acknowledged_at: Mapped[datetime | None] = mapped_column(default=None)
    acknowledged_by: Mapped[uuid.UUID | None] = mapped_column(default=None)
    acknowledged_by_name: Mapped[str] = mapped_column(String(100), default="")
    acknowledge_comment: Mapped[str] = mapped_column(String(500), default="")
    resolved_at: Mapped[datetime | None] = mapped_column(default=None)
    resolved_by: Mapped[uuid.UUID | None] = mapped_column(default=None)
    resolved_by_name: Mapped[str] = mapped_column(String(100), default="")
    resolve_comment: Mapped[str] = mapped_column(String(500), default="")
