"""Applications' and flows' shapes in and out, and the console's labels."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from sealhub.platform.i18n import label_table
from sealhub.platform.types import Instant, Name, StrictModel
from sealhub.requests.flows import ApproverKind, FlowMode
from sealhub.requests.policy import (
    REQUEST_STATUS,
    AmendmentStatus,
    RequestStatus,
    TaskStatus,
    Urgency,
)
from sealhub.seals.schemas import SealKind, SealType

Box = Literal["mine", "pending", "decided", "all"]


Strict = StrictModel  # the one strict input base (platform.types)


# ---- flows ----


class ConditionsIn(Strict):
    seal_types: list[SealType] = Field(default_factory=list, max_length=20)
    seal_kinds: list[SealKind] = Field(default_factory=list, max_length=3)
    min_presses: int | None = Field(default=None, ge=0, le=1_000_000)
    max_presses: int | None = Field(default=None, ge=0, le=1_000_000)
    unit_ids: list[uuid.UUID] = Field(default_factory=list, max_length=100)

    @model_validator(mode="after")
    def _range(self) -> ConditionsIn:
        if (
            self.min_presses is not None
            and self.max_presses is not None
            and self.max_presses < self.min_presses
        ):
            raise ValueError("max_presses must not be below min_presses")
        return self


class ApproverIn(Strict):
    kind: ApproverKind
    title: Name | None = Field(default=None, min_length=1, max_length=50)  # unit_supervisor
    role_id: uuid.UUID | None = None  # role, role_in_chain
    user_ids: list[uuid.UUID] = Field(default_factory=list, max_length=50)  # users

    @model_validator(mode="after")
    def _fields_for_kind(self) -> ApproverIn:
        if self.kind == ApproverKind.UNIT_SUPERVISOR and not self.title:
            raise ValueError("unit_supervisor needs a title")
        if self.kind in (ApproverKind.ROLE, ApproverKind.ROLE_IN_CHAIN) and not self.role_id:
            raise ValueError(f"{self.kind} needs a role_id")
        if self.kind == ApproverKind.USERS and not self.user_ids:
            raise ValueError("users needs user_ids")
        return self


class StepIn(Strict):
    name: Name = Field(min_length=1, max_length=100)
    mode: FlowMode = FlowMode.ANY
    approver: ApproverIn


class FlowIn(Strict):
    name: Name = Field(min_length=1, max_length=100)
    description: str = Field(default="", max_length=500)
    priority: int = Field(default=0, ge=-1000, le=1000)
    active: bool = True
    conditions: ConditionsIn = Field(default_factory=ConditionsIn)
    steps: list[StepIn] = Field(min_length=1, max_length=20)


class FlowOut(BaseModel):
    id: uuid.UUID  # the flow's stable id (its family)
    version_id: uuid.UUID
    version: int
    name: str
    description: str
    priority: int
    active: bool
    conditions: dict[str, Any]
    steps: list[dict[str, Any]]
    created_at: datetime
    created_by: uuid.UUID | None


class PreviewIn(Strict):
    seal_ids: list[uuid.UUID] = Field(min_length=1, max_length=50)
    presses: int = Field(ge=1, le=1_000_000)
    unit_id: uuid.UUID | None = None


class UserRef(BaseModel):
    user_id: uuid.UUID
    real_name: str


class PreviewStep(BaseModel):
    index: int
    name: str
    mode: FlowMode
    approver_kind: ApproverKind
    approvers: list[UserRef]


class PreviewOut(BaseModel):
    flow: FlowOut
    steps: list[PreviewStep]


# ---- documents and photos ----


class DocumentOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    filename: str
    sha256: str
    size: int
    content_type: str
    pages: int
    uploaded_by: uuid.UUID
    created_at: datetime


class PhotoOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    filename: str
    sha256: str
    size: int
    content_type: str
    uploaded_by: uuid.UUID
    created_at: datetime


# ---- applications in ----


class UseOut(BaseModel):
    """A recorded use of an approved application (see `service.record_use`)."""

    request_id: uuid.UUID
    item_id: uuid.UUID
    seal_id: uuid.UUID
    source: str
    count: int
    presses: int
    presses_used: int
    status: RequestStatus


class PositionIn(Strict):
    """Where to stamp: a point on a page (x, y in PDF points from bottom-left) or a keyword."""

    page: int | None = Field(default=None, ge=1, le=100_000)
    x: float | None = Field(default=None, ge=0, le=100_000)
    y: float | None = Field(default=None, ge=0, le=100_000)
    keyword: str | None = Field(default=None, min_length=1, max_length=100)

    @model_validator(mode="after")
    def _one_way(self) -> PositionIn:
        point = (self.page, self.x, self.y)
        if self.keyword is None and None in point:
            raise ValueError("give page, x and y, or a keyword")
        if self.keyword is not None and any(v is not None for v in point):
            raise ValueError("give either a point or a keyword, not both")
        return self


class StraddleIn(Strict):
    """A straddle seal (骑缝章) across pages from_page..to_page."""

    from_page: int = Field(ge=1)
    to_page: int = Field(ge=1)

    @model_validator(mode="after")
    def _order(self) -> StraddleIn:
        if self.to_page <= self.from_page:
            raise ValueError("to_page must be after from_page")
        return self


class ItemIn(Strict):
    seal_id: uuid.UUID
    presses: int = Field(ge=1, le=1000)
    pages: str | None = Field(default=None, min_length=1, max_length=200)
    position: PositionIn | None = None
    straddle: StraddleIn | None = None


class RequestCreate(Strict):
    name: Name = Field(min_length=1, max_length=200)
    reason: str = Field(default="", max_length=2000)
    urgency: Urgency = Urgency.NORMAL
    valid_from: Instant
    valid_until: Instant
    document_ids: list[uuid.UUID] = Field(min_length=1, max_length=20)
    items: list[ItemIn] = Field(min_length=1, max_length=50)
    # one of the applicant's units; their primary unit when absent
    unit_id: uuid.UUID | None = None
    submit: bool = False


class CommentIn(Strict):
    comment: str = Field(default="", max_length=1000)


class RejectIn(Strict):
    comment: str = Field(min_length=1, max_length=1000)


class TransferIn(Strict):
    to_user_id: uuid.UUID
    comment: str = Field(default="", max_length=1000)


class AddApproverIn(Strict):
    user_id: uuid.UUID
    comment: str = Field(default="", max_length=1000)


class AddPressesIn(Strict):
    item_id: uuid.UUID | None = None
    seal_id: uuid.UUID | None = None
    presses: int = Field(ge=1, le=1000)
    reason: str = Field(min_length=1, max_length=500)

    @model_validator(mode="after")
    def _one_target(self) -> AddPressesIn:
        if (self.item_id is None) == (self.seal_id is None):
            raise ValueError("give item_id or seal_id")
        return self


class EndIn(Strict):
    reason: str = Field(min_length=1, max_length=500)


class WindowIn(Strict):
    valid_from: Instant
    valid_until: Instant


# ---- applications out ----


class SealRef(BaseModel):
    seal_id: uuid.UUID
    seal_name: str
    seal_kind: SealKind
    presses: int


class RequestOut(BaseModel):
    id: uuid.UUID
    number: str
    name: str
    status: RequestStatus
    urgency: Urgency
    applicant_id: uuid.UUID
    applicant_name: str
    unit_id: uuid.UUID | None
    valid_from: datetime
    valid_until: datetime
    total_presses: int
    seals: list[SealRef]
    photos_owed: bool
    created_at: datetime
    updated_at: datetime


class SealBriefOut(BaseModel):
    id: uuid.UUID
    name: str
    code: str
    kind: SealKind
    type: SealType
    status: str
    unit_id: uuid.UUID
    keeper_ids: list[uuid.UUID]


class ItemOut(BaseModel):
    id: uuid.UUID
    seal_id: uuid.UUID
    seal_name: str
    seal_kind: SealKind
    seal_type: SealType
    seal: SealBriefOut | None
    presses: int
    presses_used: int
    pages: str | None
    position: dict[str, Any] | None
    straddle: dict[str, Any] | None
    handed_out: bool


class TaskOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    amendment_id: uuid.UUID | None
    step_index: int
    step_name: str
    mode: FlowMode
    assignee_id: uuid.UUID
    assignee_name: str
    status: TaskStatus
    origin: str
    comment: str
    created_at: datetime
    decided_at: datetime | None


class EventOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    actor_id: uuid.UUID | None
    actor_name: str
    action: str
    from_status: str | None
    to_status: str | None
    comment: str
    at: datetime


class AmendmentOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    item_id: uuid.UUID
    presses: int
    reason: str
    status: AmendmentStatus
    current_step: int
    created_by: uuid.UUID
    created_at: datetime
    decided_at: datetime | None


class FlowRef(BaseModel):
    id: uuid.UUID
    version_id: uuid.UUID
    version: int
    name: str
    steps: list[dict[str, Any]]


class CanDo(BaseModel):
    approve: bool = False
    reject: bool = False
    transfer: bool = False
    add_approver: bool = False
    withdraw: bool = False
    submit: bool = False
    end: bool = False
    change_window: bool = False
    add_presses: bool = False
    upload_photos: bool = False
    archive: bool = False


class RequestDetail(RequestOut):
    reason: str
    flow: FlowRef | None
    current_step: int | None
    submitted_at: datetime | None
    decided_at: datetime | None
    finished_at: datetime | None
    end_reason: str
    items: list[ItemOut]
    documents: list[DocumentOut]
    tasks: list[TaskOut]
    timeline: list[EventOut]
    amendments: list[AmendmentOut]
    photos: list[PhotoOut]
    can: CanDo


# ---- labels ----

_URGENCY_LABELS: dict[Urgency, tuple[str, str, str]] = {
    Urgency.NORMAL: ("普通", "Normal", "info"),
    Urgency.URGENT: ("加急", "Urgent", "danger"),
}
_TASK_LABELS: dict[TaskStatus, tuple[str, str, str]] = {
    TaskStatus.PENDING: ("待审批", "Pending", "warning"),
    TaskStatus.APPROVED: ("已同意", "Approved", "success"),
    TaskStatus.REJECTED: ("已驳回", "Rejected", "danger"),
    TaskStatus.TRANSFERRED: ("已转交", "Transferred", "info"),
    TaskStatus.CANCELLED: ("已取消", "Cancelled", "info"),
}
_APPROVER_LABELS: dict[ApproverKind, tuple[str, str, str]] = {
    ApproverKind.UNIT_SUPERVISOR: ("部门负责人", "Unit supervisor", "primary"),
    ApproverKind.ROLE_IN_CHAIN: ("本部门链上的角色", "Role in the unit chain", "primary"),
    ApproverKind.ROLE: ("指定角色", "Role", "primary"),
    ApproverKind.USERS: ("指定人员", "Named people", "primary"),
    ApproverKind.SEAL_KEEPER: ("管章人", "Seal keepers", "primary"),
}
_MODE_LABELS: dict[FlowMode, tuple[str, str, str]] = {
    FlowMode.ANY: ("或签（一人同意即可）", "Any one approves", "info"),
    FlowMode.ALL: ("会签（全部同意）", "All must approve", "warning"),
}


def enum_labels() -> dict[str, list[dict[str, Any]]]:
    """Application statuses, urgency, task statuses, approver kinds and flow modes."""
    return {
        "request_status": REQUEST_STATUS.labels(),
        "urgency": label_table(_URGENCY_LABELS),
        "task_status": label_table(_TASK_LABELS),
        "approver_kind": label_table(_APPROVER_LABELS),
        "flow_mode": label_table(_MODE_LABELS),
    }


def status_zh(status: str) -> str:
    return REQUEST_STATUS.label(status, "zh-CN")
