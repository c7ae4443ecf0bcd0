"""Storage tables (private to this context)."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import BigInteger, LargeBinary, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from sealhub.platform import clock
from sealhub.platform.db.base import Base, IdMixin, TenantMixin


class StoredObject(IdMixin, TenantMixin, Base):
    """One encrypted file of a tenant; the same bytes uploaded twice in an org are one row."""

    __tablename__ = "stored_objects"
    __table_args__ = (UniqueConstraint("org_id", "sha256"),)

    sha256: Mapped[str] = mapped_column(String(64), index=True)
    size: Mapped[int] = mapped_column(BigInteger)
    content_type: Mapped[str] = mapped_column(String(100))
    filename: Mapped[str] = mapped_column(String(255))
    pages: Mapped[int | None]
    # The per-object AES data key, wrapped by the master key (see platform.crypto.Envelope).
    wrapped_key: Mapped[bytes] = mapped_column(LargeBinary)
    blob_key: Mapped[str] = mapped_column(String(200))
    purpose: Mapped[str] = mapped_column(String(40))
    created_at: Mapped[datetime] = mapped_column(default=clock.now)
    created_by: Mapped[uuid.UUID | None]
    retain_until: Mapped[datetime | None]
