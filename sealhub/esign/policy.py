"""E-seal vocabularies and lifecycles (pure: no I/O)."""

from __future__ import annotations

from enum import StrEnum

from sealhub.esign.errors import InvalidApplicationTransition, InvalidCertificateTransition
from sealhub.platform.lifecycle import Lifecycle


class SealShape(StrEnum):
    ROUND = "round"  # 圆形公章/合同章
    OVAL = "oval"  # 椭圆财务/发票章
    SQUARE = "square"  # 方形人名章


class ApplicationStatus(StrEnum):
    PENDING = "pending"
    APPROVED = "approved"
    REJECTED = "rejected"


class ApplicationAction(StrEnum):
    APPROVE = "approve"
    REJECT = "reject"


class CertificateStatus(StrEnum):
    VALID = "valid"
    REVOKED = "revoked"
    EXPIRED = "expired"
    SUPERSEDED = "superseded"  # renewed: the seal's history keeps it


class CertificateAction(StrEnum):
    REVOKE = "revoke"
    EXPIRE = "expire"
    SUPERSEDE = "supersede"


class WillingnessMethod(StrEnum):
    PASSWORD = "password"
    SMS = "sms"
    TOTP = "totp"


class PlacementMode(StrEnum):
    POSITION = "position"  # page + box the applicant declared or the signer dropped
    KEYWORD = "keyword"  # the first place the text occurs
    STRADDLE = "straddle"  # 骑缝章: one slice per page along the right edge


APPLICATION_STATUS: Lifecycle[ApplicationStatus, ApplicationAction] = Lifecycle(
    "esign_application_status",
    states={
        ApplicationStatus.PENDING: ("待审核", "Pending review", "warning"),
        ApplicationStatus.APPROVED: ("已通过", "Approved", "success"),
        ApplicationStatus.REJECTED: ("已驳回", "Rejected", "danger"),
    },
    moves={
        (ApplicationStatus.PENDING, ApplicationAction.APPROVE): ApplicationStatus.APPROVED,
        (ApplicationStatus.PENDING, ApplicationAction.REJECT): ApplicationStatus.REJECTED,
    },
    error=InvalidApplicationTransition,
)

CERTIFICATE_STATUS: Lifecycle[CertificateStatus, CertificateAction] = Lifecycle(
    "esign_certificate_status",
    states={
        CertificateStatus.VALID: ("有效", "Valid", "success"),
        CertificateStatus.REVOKED: ("已吊销", "Revoked", "danger"),
        CertificateStatus.EXPIRED: ("已过期", "Expired", "info"),
        CertificateStatus.SUPERSEDED: ("已更新", "Renewed", "info"),
    },
    moves={
        (CertificateStatus.VALID, CertificateAction.REVOKE): CertificateStatus.REVOKED,
        (CertificateStatus.VALID, CertificateAction.EXPIRE): CertificateStatus.EXPIRED,
        (CertificateStatus.VALID, CertificateAction.SUPERSEDE): CertificateStatus.SUPERSEDED,
        (CertificateStatus.SUPERSEDED, CertificateAction.REVOKE): CertificateStatus.REVOKED,
    },
    error=InvalidCertificateTransition,
)
