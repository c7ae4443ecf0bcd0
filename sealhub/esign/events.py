"""Events of the esign context (stored JSON: these fields plus "v", see platform.events)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import ClassVar

from sealhub.platform.events import Event


@dataclass(frozen=True, kw_only=True)
class ApplicationApproved(Event):
    """An e-seal application was approved: its seal and certificate exist."""

    name: ClassVar[str] = "esign.application_approved"
    version: ClassVar[int] = 1

    application_id: uuid.UUID
    seal_id: uuid.UUID
    certificate_id: uuid.UUID
    reviewer_id: uuid.UUID


@dataclass(frozen=True, kw_only=True)
class CertificateRevoked(Event):
    """A seal certificate was revoked (the seal revoked or reported lost, or by hand)."""

    name: ClassVar[str] = "esign.certificate_revoked"
    version: ClassVar[int] = 1

    certificate_id: uuid.UUID
    seal_id: uuid.UUID
    serial: str
    reason: str
    revoked_at: datetime


@dataclass(frozen=True, kw_only=True)
class DocumentSealed(Event):
    """A document of an approved application was sealed electronically."""

    name: ClassVar[str] = "esign.document_sealed"
    version: ClassVar[int] = 1

    sealing_id: uuid.UUID
    request_id: uuid.UUID
    document_id: uuid.UUID
    signer_id: uuid.UUID
    seal_ids: list[uuid.UUID]
    sha256: str
    willingness_method: str
