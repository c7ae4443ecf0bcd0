"""E-seal tables (private to this context).

Private keys never sit in a row in clear: `key_ref` says where the key lives — `file:`
(the PEM below, encrypted under the master key by the platform's envelope) or `pkcs11:`
(a label inside an HSM; nothing secret is stored here).
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, LargeBinary, String, Text, UniqueConstraint
from sqlalchemy.dialects import mysql
from sqlalchemy.orm import Mapped, mapped_column

from sealhub.esign.policy import ApplicationStatus, CertificateStatus
from sealhub.platform import clock
from sealhub.platform.db.base import Base, CreatedUpdatedMixin, IdMixin, TenantMixin


class OrgCa(IdMixin, TenantMixin, CreatedUpdatedMixin, Base):
    """An organisation's certificate authority (one active per organisation): the root and
    the issuing CA that signs seal certificates and CRLs, its CRL numbering and the
    timestamp authority its seals use. `cert_pem`/`key_*` are the issuing CA's."""

    __tablename__ = "esign_cas"
    __table_args__ = (UniqueConstraint("org_id", "name"),)

    name: Mapped[str] = mapped_column(String(200))
    root_cert_pem: Mapped[str] = mapped_column(Text)
    root_key_wrapped: Mapped[bytes | None] = mapped_column(LargeBinary, default=None)
    root_key_sealed: Mapped[bytes | None] = mapped_column(LargeBinary, default=None)
    key_algorithm: Mapped[str] = mapped_column(String(20))
    cert_pem: Mapped[str] = mapped_column(Text)
    key_ref: Mapped[str] = mapped_column(String(300))
    key_wrapped: Mapped[bytes | None] = mapped_column(LargeBinary, default=None)
    key_sealed: Mapped[bytes | None] = mapped_column(LargeBinary, default=None)
    active: Mapped[bool] = mapped_column(default=True)
    not_after: Mapped[datetime]
    crl_number: Mapped[int] = mapped_column(default=0)
    crl_issued_at: Mapped[datetime | None] = mapped_column(default=None)
    # MEDIUMBLOB on MariaDB: a CRL of many revocations outgrows a 64 KiB BLOB
    crl_der: Mapped[bytes | None] = mapped_column(
        LargeBinary().with_variant(mysql.MEDIUMBLOB(), "mysql", "mariadb"), default=None
    )
    # "" = the platform's own timestamp authority; else an RFC 3161 URL
    tsa_url: Mapped[str] = mapped_column(String(500), default="")


class SealCertificate(IdMixin, TenantMixin, Base):
    """A certificate binding an electronic seal to its key; renewals chain by `previous_id`."""

    __tablename__ = "esign_certificates"
    __table_args__ = (
        UniqueConstraint("ca_id", "serial"),
        Index("ix_esign_certificates_seal_status", "seal_id", "status"),
        Index("ix_esign_certificates_status_after", "status", "not_after"),
        Index("ix_esign_certificates_serial", "serial"),
    )

    seal_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("seals.id"))
    ca_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("esign_cas.id"))
    serial: Mapped[str] = mapped_column(String(64))
    subject: Mapped[str] = mapped_column(String(500))
    algorithm: Mapped[str] = mapped_column(String(30))
    cert_pem: Mapped[str] = mapped_column(Text)
    key_ref: Mapped[str] = mapped_column(String(300))
    key_wrapped: Mapped[bytes | None] = mapped_column(LargeBinary, default=None)
    key_sealed: Mapped[bytes | None] = mapped_column(LargeBinary, default=None)
    status: Mapped[str] = mapped_column(String(20), default=CertificateStatus.VALID)
    not_before: Mapped[datetime]
    not_after: Mapped[datetime]
    revoked_at: Mapped[datetime | None] = mapped_column(default=None)
    revocation_reason: Mapped[str] = mapped_column(String(200), default="")
    previous_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("esign_certificates.id"), default=None
    )
    reminded_at: Mapped[datetime | None] = mapped_column(default=None)
    # the seal image bound to this certificate: what every signature with it shows
    image_object_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("stored_objects.id"), default=None
    )
    created_at: Mapped[datetime] = mapped_column(default=clock.now)


class EsealApplication(IdMixin, TenantMixin, CreatedUpdatedMixin, Base):
    """申请电子印章: the design, proof materials and the review."""

    __tablename__ = "esign_applications"
    __table_args__ = (Index("ix_esign_applications_org_status", "org_id", "status"),)

    unit_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("org_units.id"))
    applicant_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id"), index=True)
    seal_type: Mapped[str] = mapped_column(String(30))
    seal_name: Mapped[str] = mapped_column(String(100))
    seal_code: Mapped[str] = mapped_column(String(60))
    # shape and texts as `schemas.SealDesign` stores them
    design: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    licence_object_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("stored_objects.id"))
    authorisation_object_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("stored_objects.id"))
    reason: Mapped[str] = mapped_column(String(500), default="")
    status: Mapped[str] = mapped_column(String(20), default=ApplicationStatus.PENDING)
    reviewer_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"), default=None)
    reviewed_at: Mapped[datetime | None] = mapped_column(default=None)
    review_comment: Mapped[str] = mapped_column(String(500), default="")
    seal_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("seals.id"), default=None)
    certificate_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("esign_certificates.id"), default=None
    )


class Sealing(IdMixin, TenantMixin, Base):
    """One sealing of an application's document, with its willingness confirmation."""

    __tablename__ = "esign_sealings"
    __table_args__ = (
        UniqueConstraint("verify_token"),
        Index("ix_esign_sealings_request", "org_id", "request_id"),
        Index("ix_esign_sealings_sha256", "sha256"),
    )

    request_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("stamp_requests.id"))
    document_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("request_documents.id"))
    signer_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id"))
    # [{seal_id, certificate_id, serial, mode, page, x, y, keyword}]
    placements: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    willingness_method: Mapped[str] = mapped_column(String(20))
    willingness_at: Mapped[datetime]
    sealed_object_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("stored_objects.id"))
    sha256: Mapped[str] = mapped_column(String(64))
    verify_token: Mapped[str] = mapped_column(String(64))
    qr: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = mapped_column(default=clock.now)
