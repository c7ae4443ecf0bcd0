"""The application lifecycle: statuses, the one transition table, and page-range rules (pure)."""

from __future__ import annotations

from enum import StrEnum

from sealhub.platform.lifecycle import Lifecycle
from sealhub.requests.errors import InvalidRequestTransition


class RequestStatus(StrEnum):
    DRAFT = "draft"
    SUBMITTED = "submitted"  # transient: routed to in_review in the same transaction
    IN_REVIEW = "in_review"
    APPROVED = "approved"
    REJECTED = "rejected"
    WITHDRAWN = "withdrawn"
    IN_USE = "in_use"
    COMPLETED = "completed"
    EXPIRED = "expired"
    ARCHIVED = "archived"


class Action(StrEnum):
    SUBMIT = "submit"
    ROUTE = "route"
    APPROVE = "approve"
    REJECT = "reject"
    WITHDRAW = "withdraw"
    USE = "use"  # first physical hand-out (later: first smart-seal press, e-signature)
    COMPLETE = "complete"  # everything returned and photographed
    END = "end"  # ended early by the applicant or a manager
    EXPIRE = "expire"
    ARCHIVE = "archive"
    # actions that keep the status but are only allowed in some of them
    DECIDE = "decide"
    TRANSFER = "transfer"
    ADD_APPROVER = "add_approver"
    ADD_PRESSES = "add_presses"
    CHANGE_WINDOW = "change_window"
    UPLOAD_PHOTOS = "upload_photos"
    HAND_OUT = "hand_out"


class Urgency(StrEnum):
    NORMAL = "normal"
    URGENT = "urgent"


class TaskStatus(StrEnum):
    PENDING = "pending"
    APPROVED = "approved"
    REJECTED = "rejected"
    TRANSFERRED = "transferred"
    CANCELLED = "cancelled"


class AmendmentStatus(StrEnum):
    PENDING = "pending"
    APPROVED = "approved"
    REJECTED = "rejected"
    CANCELLED = "cancelled"


S, A = RequestStatus, Action

# The whole lifecycle: (status, action) -> the status it leads to.
TRANSITIONS: dict[tuple[RequestStatus, Action], RequestStatus] = {
    (S.DRAFT, A.SUBMIT): S.SUBMITTED,
    (S.SUBMITTED, A.ROUTE): S.IN_REVIEW,
    (S.IN_REVIEW, A.APPROVE): S.APPROVED,
    (S.IN_REVIEW, A.REJECT): S.REJECTED,
    (S.IN_REVIEW, A.WITHDRAW): S.WITHDRAWN,
    (S.APPROVED, A.USE): S.IN_USE,
    (S.APPROVED, A.END): S.COMPLETED,
    (S.IN_USE, A.END): S.COMPLETED,
    (S.IN_USE, A.COMPLETE): S.COMPLETED,
    (S.APPROVED, A.EXPIRE): S.EXPIRED,
    (S.IN_USE, A.EXPIRE): S.EXPIRED,
    (S.COMPLETED, A.ARCHIVE): S.ARCHIVED,
    (S.EXPIRED, A.ARCHIVE): S.ARCHIVED,
}

_LIVE = frozenset({S.APPROVED, S.IN_USE})
# Actions that do not change the status, and the statuses they are allowed in.
ALLOWED: dict[Action, frozenset[RequestStatus]] = {
    A.DECIDE: frozenset({S.IN_REVIEW}) | _LIVE,  # live: an add-presses amendment
    A.TRANSFER: frozenset({S.IN_REVIEW}) | _LIVE,
    A.ADD_APPROVER: frozenset({S.IN_REVIEW}) | _LIVE,
    A.ADD_PRESSES: _LIVE,
    A.CHANGE_WINDOW: frozenset({S.DRAFT, S.IN_REVIEW}) | _LIVE,
    A.UPLOAD_PHOTOS: frozenset({S.IN_USE}),
    A.HAND_OUT: _LIVE,
}

TERMINAL = frozenset({S.REJECTED, S.WITHDRAWN, S.ARCHIVED})


REQUEST_STATUS: Lifecycle[RequestStatus, Action] = Lifecycle(
    "request_status",
    states={
        S.DRAFT: ("草稿", "Draft", "info"),
        S.SUBMITTED: ("已提交", "Submitted", "info"),
        S.IN_REVIEW: ("审批中", "In review", "warning"),
        S.APPROVED: ("已批准", "Approved", "success"),
        S.REJECTED: ("已驳回", "Rejected", "danger"),
        S.WITHDRAWN: ("已撤回", "Withdrawn", "info"),
        S.IN_USE: ("用印中", "In use", "primary"),
        S.COMPLETED: ("已完成", "Completed", "success"),
        S.EXPIRED: ("已过期", "Expired", "danger"),
        S.ARCHIVED: ("已归档", "Archived", "info"),
    },
    moves=TRANSITIONS,
    stays=ALLOWED,
    error=InvalidRequestTransition,
)


def next_status(current: str, action: str) -> RequestStatus | None:
    """Where `action` leads from `current`, or None when the table forbids it."""
    return REQUEST_STATUS.next(current, action)


def transition(current: str, action: str) -> RequestStatus:
    """The new status, or `request.invalid_transition` (409)."""
    return REQUEST_STATUS.transition(current, action)


def allowed(current: str, action: str) -> bool:
    return REQUEST_STATUS.allowed(current, action)


def require(current: str, action: str) -> None:
    """Raise `request.invalid_transition` unless `action` is allowed while `current`."""
    REQUEST_STATUS.require(current, action)


def parse_pages(spec: str) -> list[int]:
    """ "1,3-5" -> [1, 3, 4, 5] (sorted, unique); ValueError when malformed."""
    pages: set[int] = set()
    if not spec.strip():
        raise ValueError("empty page list")
    for raw in spec.replace("，", ",").split(","):
        part = raw.strip()
        if not part:
            raise ValueError("empty part")
        if "-" in part:
            lo_s, _, hi_s = part.partition("-")
            lo, hi = int(lo_s), int(hi_s)
            if lo < 1 or hi < lo or hi - lo > 10_000:
                raise ValueError(f"bad range {part}")
            pages.update(range(lo, hi + 1))
        else:
            page = int(part)
            if page < 1:
                raise ValueError(f"bad page {part}")
            pages.add(page)
    return sorted(pages)


def pages_within(spec: str, page_count: int) -> bool:
    """Whether a page list parses and stays within a document of `page_count` pages."""
    try:
        pages = parse_pages(spec)
    except ValueError:
        return False
    return pages[-1] <= page_count
