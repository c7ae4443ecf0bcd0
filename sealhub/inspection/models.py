"""Inspection tables (private to this context)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from sealhub.platform import clock
from sealhub.platform.db.base import Base, IdMixin, TenantMixin


class InspectionResult(IdMixin, TenantMixin, Base):
    """The verdict on one photo of stamped pages, stored with its application."""

    __tablename__ = "inspection_results"
    __table_args__ = (
        UniqueConstraint("org_id", "photo_id"),
        Index("ix_inspection_results_request", "org_id", "request_id"),
    )

    request_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("stamp_requests.id", ondelete="CASCADE")
    )
    photo_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("stamp_photos.id", ondelete="CASCADE"))
    status: Mapped[str] = mapped_column(String(20), default="pending")  # pending / done / failed
    verdict: Mapped[str | None] = mapped_column(String(30), default=None)
    # the application's page it shows: which document and which page (1-based)
    document_id: Mapped[uuid.UUID | None] = mapped_column(default=None)
    page: Mapped[int | None] = mapped_column(default=None)
    similarity: Mapped[float | None] = mapped_column(default=None)
    precision: Mapped[str] = mapped_column(String(10), default="strict")
    engine: Mapped[str] = mapped_column(String(30), default="")
    details: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    highlight_object_id: Mapped[uuid.UUID | None] = mapped_column(default=None)
    original_object_id: Mapped[uuid.UUID | None] = mapped_column(default=None)
    seconds: Mapped[float | None] = mapped_column(default=None)
    created_at: Mapped[datetime] = mapped_column(default=clock.now)
    inspected_at: Mapped[datetime | None] = mapped_column(default=None)


class InspectionSetting(IdMixin, TenantMixin, Base):
    """An organisation's precision setting (strict for contracts, loose for letters)."""

    __tablename__ = "inspection_settings"
    __table_args__ = (UniqueConstraint("org_id"),)

    precision: Mapped[str] = mapped_column(String(10), default="strict")
    updated_at: Mapped[datetime] = mapped_column(default=clock.now)
