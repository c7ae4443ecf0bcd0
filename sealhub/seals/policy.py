"""Seal vocabularies and the one status transition table (pure: no I/O)."""

from __future__ import annotations

from enum import StrEnum

from sealhub.platform.lifecycle import Lifecycle, moves_from_targets
from sealhub.seals.errors import InvalidSealTransition


class SealKind(StrEnum):
    PHYSICAL = "physical"  # 实体章
    ELECTRONIC = "electronic"  # 电子章
    SMART = "smart"  # 智能印章


class SealType(StrEnum):
    OFFICIAL = "official"  # 公章
    CONTRACT = "contract"  # 合同专用章
    FINANCE = "finance"  # 财务专用章
    INVOICE = "invoice"  # 发票专用章
    LEGAL_REP = "legal_rep"  # 法定代表人章
    HR = "hr"  # 人事章
    DEPARTMENT = "department"  # 部门章
    CUSTOM = "custom"  # 自定义（custom_type_name）


class SealStatus(StrEnum):
    ACTIVE = "active"
    SUSPENDED = "suspended"
    REPORTED_LOST = "reported_lost"
    REVOKED = "revoked"
    DESTROYED = "destroyed"


# The whole lifecycle: from -> the statuses it may move to (the action is the target status).
TRANSITIONS: dict[SealStatus, frozenset[SealStatus]] = {
    SealStatus.ACTIVE: frozenset(
        {SealStatus.SUSPENDED, SealStatus.REPORTED_LOST, SealStatus.REVOKED}
    ),
    SealStatus.SUSPENDED: frozenset(
        {SealStatus.ACTIVE, SealStatus.REVOKED, SealStatus.REPORTED_LOST}
    ),
    # back to active when found
    SealStatus.REPORTED_LOST: frozenset(
        {SealStatus.ACTIVE, SealStatus.REVOKED, SealStatus.DESTROYED}
    ),
    SealStatus.REVOKED: frozenset({SealStatus.DESTROYED}),
    SealStatus.DESTROYED: frozenset(),
}

SEAL_STATUS: Lifecycle[SealStatus, SealStatus] = Lifecycle(
    "seal_status",
    states={
        SealStatus.ACTIVE: ("正常", "Active", "success"),
        SealStatus.SUSPENDED: ("停用", "Suspended", "warning"),
        SealStatus.REPORTED_LOST: ("挂失", "Reported lost", "danger"),
        SealStatus.REVOKED: ("注销", "Revoked", "info"),
        SealStatus.DESTROYED: ("已销毁", "Destroyed", "info"),
    },
    moves=moves_from_targets(TRANSITIONS),
    error=InvalidSealTransition,
)


def can_transition(current: SealStatus, target: SealStatus) -> bool:
    return SEAL_STATUS.allowed(current, target)


def transition(current: str, target: str) -> SealStatus:
    """The new status, or `seal.invalid_transition` (409) when the table forbids it."""
    return SEAL_STATUS.transition(current, target)
