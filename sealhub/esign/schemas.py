"""E-seals' shapes in and out and the console's labels."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from sealhub.esign.policy import (
    APPLICATION_STATUS,
    CERTIFICATE_STATUS,
    ApplicationStatus,
    CertificateStatus,
    PlacementMode,
    SealShape,
    WillingnessMethod,
)
from sealhub.platform.i18n import label_table
from sealhub.platform.types import Name, StrictModel
from sealhub.seals.schemas import SealType

SIZES_MM = (38.0, 40.0, 42.0, 45.0)


# ---- in ----


class SealDesign(StrictModel):
    """The seal's shape and texts (the live preview renders exactly this)."""

    shape: SealShape = SealShape.ROUND
    org_name: Name = Field(min_length=1, max_length=40)
    title: Name = Field(default="", max_length=12)
    # the 13-digit seal code (round) or the tax number (oval)
    code: str = Field(default="", pattern=r"^[0-9A-Z]{0,20}$")
    size_mm: Literal[38, 40, 42, 45] = 40


class ApplicationCreate(StrictModel):
    seal_type: SealType
    seal_name: Name = Field(min_length=1, max_length=100)
    seal_code: Name = Field(min_length=1, max_length=60)
    unit_id: uuid.UUID
    design: SealDesign
    licence_object_id: uuid.UUID
    authorisation_object_id: uuid.UUID
    reason: str = Field(default="", max_length=500)


class ReviewIn(StrictModel):
    approve: bool
    comment: str = Field(default="", max_length=500)
    credit_code: str = Field(default="", pattern=r"^[0-9A-Z]{0,18}$")


class RevokeIn(StrictModel):
    reason: Name = Field(min_length=1, max_length=200)


class Willingness(StrictModel):
    """意愿认证: what the person gives at the moment of sealing."""

    method: WillingnessMethod
    secret: str = Field(min_length=1, max_length=200)


class Placement(StrictModel):
    seal_id: uuid.UUID
    mode: PlacementMode = PlacementMode.POSITION
    page: int = Field(default=0, ge=0, le=10_000)
    # lower-left corner of the seal in PDF points (origin bottom-left)
    x: float = Field(default=0.0, ge=0, le=20_000)
    y: float = Field(default=0.0, ge=0, le=20_000)
    keyword: str = Field(default="", max_length=50)


class SealIn(StrictModel):
    document_id: uuid.UUID
    placements: list[Placement] = Field(min_length=1, max_length=10)
    willingness: Willingness
    qr: bool = False


class TsaIn(StrictModel):
    tsa_url: str = Field(default="", max_length=500, pattern=r"^(https?://.+)?$")


# ---- out ----


class _Out(BaseModel):
    model_config = ConfigDict(from_attributes=True)


class MaterialOut(_Out):
    id: uuid.UUID
    filename: str
    content_type: str
    size: int


class ApplicationOut(_Out):
    id: uuid.UUID
    unit_id: uuid.UUID
    applicant_id: uuid.UUID
    applicant_name: str = ""
    seal_type: str
    seal_name: str
    seal_code: str
    design: dict[str, Any]
    licence_object_id: uuid.UUID
    authorisation_object_id: uuid.UUID
    reason: str
    status: ApplicationStatus
    reviewer_id: uuid.UUID | None
    reviewed_at: datetime | None
    review_comment: str
    seal_id: uuid.UUID | None
    certificate_id: uuid.UUID | None
    created_at: datetime


class CertificateOut(_Out):
    id: uuid.UUID
    seal_id: uuid.UUID
    seal_name: str = ""
    serial: str
    subject: str
    algorithm: str
    key_ref: str
    status: CertificateStatus
    not_before: datetime
    not_after: datetime
    revoked_at: datetime | None
    revocation_reason: str
    previous_id: uuid.UUID | None
    created_at: datetime


class CaOut(_Out):
    id: uuid.UUID
    name: str
    root_cert_pem: str
    cert_pem: str
    not_after: datetime
    crl_number: int
    crl_issued_at: datetime | None
    tsa_url: str


class SealingOut(_Out):
    id: uuid.UUID
    request_id: uuid.UUID
    document_id: uuid.UUID
    signer_id: uuid.UUID
    placements: list[dict[str, Any]]
    willingness_method: str
    willingness_at: datetime
    sha256: str
    verify_token: str
    qr: bool
    created_at: datetime


class SignerOut(BaseModel):
    common_name: str | None
    organisation: str | None
    organisation_id: str | None
    serial: str
    issuer: str | None
    not_before: str
    not_after: str
    algorithm: str


class SignatureReport(BaseModel):
    """One signature as esigncore's verifier reports it, plus what the platform knows:
    the seal it belongs to and the certificate's revocation (status and time)."""

    index: int
    field_name: str | None
    kind: str
    signer: SignerOut | None = None
    signing_time: str | None = None
    timestamp: str | None = None
    timestamp_valid: bool | None = None
    intact: bool = False
    valid: bool = False
    trusted: bool = False
    chain: list[str] = []
    trust_problem: str | None = None
    revocation: str = "unchecked"
    revoked_at: str | None = None
    revocation_reason: str | None = None
    coverage: str | None = None
    covers_whole_file: bool = False
    modification_level: str | None = None
    changes_after_signing: bool = False
    ok: bool = False
    problems: list[str] = []
    notes: list[str] = []
    seal_id: uuid.UUID | None = None
    seal_name: str = ""


class VerifyReport(BaseModel):
    sha256: str
    file_type: str
    readable: bool
    error: str | None = None
    signed: bool
    ok: bool
    trusted: bool
    signatures: list[SignatureReport]
    # when the file is one the platform sealed: which sealing made it
    sealing_id: uuid.UUID | None = None


def enum_labels() -> dict[str, list[dict[str, Any]]]:
    """Application and certificate statuses, shapes, willingness methods."""
    return {
        "esign_application_status": APPLICATION_STATUS.labels(),
        "esign_certificate_status": CERTIFICATE_STATUS.labels(),
        "esign_shape": label_table(
            {
                SealShape.ROUND: ("圆形", "Round", ""),
                SealShape.OVAL: ("椭圆形", "Oval", ""),
                SealShape.SQUARE: ("方形", "Square", ""),
            }
        ),
        "esign_willingness": label_table(
            {
                WillingnessMethod.PASSWORD: ("登录密码", "Password", ""),
                WillingnessMethod.SMS: ("短信验证码", "SMS code", ""),
                WillingnessMethod.TOTP: ("动态口令", "Authenticator code", ""),
            }
        ),
    }
