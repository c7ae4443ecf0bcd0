"""Identity's lifecycles (pure): a membership's status and the actions that move it."""

from __future__ import annotations

from enum import StrEnum

from sealhub.identity.errors import InvitationInvalidTransition, MemberInvalidTransition
from sealhub.identity.models import InvitationStatus, MemberStatus
from sealhub.platform.lifecycle import Lifecycle


class MemberAction(StrEnum):
    APPROVE = "approve"
    DISABLE = "disable"
    ENABLE = "enable"


M, A = MemberStatus, MemberAction

MEMBER_STATUS: Lifecycle[MemberStatus, MemberAction] = Lifecycle(
    "member_status",
    # display order: the console lists active first
    states={
        M.ACTIVE: ("正常", "Active", "success"),
        M.PENDING: ("待审核", "Pending", "warning"),
        M.DISABLED: ("已停用", "Disabled", "info"),
    },
    moves={
        (M.PENDING, A.APPROVE): M.ACTIVE,
        (M.PENDING, A.DISABLE): M.DISABLED,
        (M.ACTIVE, A.DISABLE): M.DISABLED,
        (M.DISABLED, A.ENABLE): M.ACTIVE,
    },
    error=MemberInvalidTransition,
)


class InvitationAction(StrEnum):
    ACCEPT = "accept"
    DECLINE = "decline"
    CANCEL = "cancel"  # withdrawn by the organisation


I = InvitationStatus  # noqa: E741

INVITATION_STATUS: Lifecycle[InvitationStatus, InvitationAction] = Lifecycle(
    "invitation_status",
    states={
        I.PENDING: ("待接受", "Pending", "warning"),
        I.ACCEPTED: ("已接受", "Accepted", "success"),
        I.DECLINED: ("已拒绝", "Declined", "danger"),
        I.CANCELLED: ("已撤回", "Withdrawn", "info"),
    },
    moves={
        (I.PENDING, InvitationAction.ACCEPT): I.ACCEPTED,
        (I.PENDING, InvitationAction.DECLINE): I.DECLINED,
        (I.PENDING, InvitationAction.CANCEL): I.CANCELLED,
    },
    error=InvitationInvalidTransition,
)
