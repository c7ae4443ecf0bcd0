"""Seals' shapes in and out, the briefs other contexts use, and the console's labels."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from pydantic import BaseModel, ConfigDict, Field

from sealhub.platform.i18n import label, label_table
from sealhub.platform.types import Instant, Name, StrictModel
from sealhub.seals.policy import SEAL_STATUS, SealKind, SealStatus, SealType

__all__ = [
    "CustodyBrief",
    "CustodyOut",
    "HandOutIn",
    "KeeperOut",
    "PageRequest",
    "ReturnIn",
    "SealBrief",
    "SealCreate",
    "SealDetail",
    "SealKind",
    "SealOut",
    "SealStatus",
    "SealType",
    "SealUpdate",
    "StatusChangeIn",
    "StatusChangeOut",
    "TypeName",
    "enum_labels",
]


Strict = StrictModel  # the one strict input base (platform.types)


class PageRequest(Protocol):
    """What list use cases need of the edge's paging (api.deps.Paging satisfies it)."""

    @property
    def offset(self) -> int: ...

    @property
    def page_size(self) -> int: ...

    def sort_key(self, allowed: set[str], default: str) -> tuple[str, bool]: ...


# ---- in ----


class SealCreate(Strict):
    kind: SealKind
    type: SealType
    custom_type_name: Name | None = Field(default=None, min_length=1, max_length=50)
    name: Name = Field(min_length=1, max_length=100)
    code: Name = Field(min_length=1, max_length=60)
    unit_id: uuid.UUID
    keeper_ids: list[uuid.UUID] = Field(default_factory=list, max_length=20)
    description: str = Field(default="", max_length=2000)


class SealUpdate(Strict):
    """Only the fields sent change; kind and status do not change here."""

    type: SealType | None = None
    custom_type_name: Name | None = Field(default=None, min_length=1, max_length=50)
    name: Name | None = Field(default=None, min_length=1, max_length=100)
    code: Name | None = Field(default=None, min_length=1, max_length=60)
    unit_id: uuid.UUID | None = None
    keeper_ids: list[uuid.UUID] | None = Field(default=None, max_length=20)
    description: str | None = Field(default=None, max_length=2000)


class StatusChangeIn(Strict):
    status: SealStatus
    reason: str = Field(min_length=1, max_length=500)


class HandOutIn(Strict):
    request_id: uuid.UUID
    holder_id: uuid.UUID
    expected_return_at: Instant
    carried_out: bool = False
    note: str = Field(default="", max_length=500)


class ReturnIn(Strict):
    note: str = Field(default="", max_length=500)
    # how many times the seal was pressed while out, as the keeper counts it on the documents
    presses: int | None = Field(default=None, ge=0, le=100_000)


# ---- out ----


class TypeName(BaseModel):
    zh: str
    en: str


class KeeperOut(BaseModel):
    id: uuid.UUID
    real_name: str


class SealOut(BaseModel):
    id: uuid.UUID
    kind: SealKind
    type: SealType
    custom_type_name: str | None
    type_name: TypeName
    name: str
    code: str
    unit_id: uuid.UUID
    unit_name: str
    status: SealStatus
    status_reason: str
    status_changed_at: datetime | None
    keeper_ids: list[uuid.UUID]
    has_image: bool
    device_id: uuid.UUID | None
    created_at: datetime
    updated_at: datetime


class SealDetail(SealOut):
    description: str
    keepers: list[KeeperOut]
    image_url: str | None
    specifics: dict[str, Any]


class StatusChangeOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    from_status: SealStatus | None
    to_status: SealStatus
    reason: str
    actor_id: uuid.UUID | None
    actor_name: str
    at: datetime


class CustodyOut(BaseModel):
    id: uuid.UUID
    seal_id: uuid.UUID
    seal_name: str
    seal_code: str
    request_id: uuid.UUID | None
    holder_id: uuid.UUID
    holder_name: str
    handed_out_by: uuid.UUID
    handed_out_by_name: str
    handed_out_at: datetime
    expected_return_at: datetime | None
    carried_out: bool
    note: str
    returned_at: datetime | None
    returned_to: uuid.UUID | None
    returned_to_name: str | None
    presses: int | None
    # filled in by the API from the requests context (the seals context keeps only the id)
    request_number: str | None = None
    return_note: str
    overdue: bool


# ---- for other contexts ----


@dataclass(frozen=True)
class SealBrief:
    """What other contexts (requests: flow conditions, keeper approvers, items) need."""

    id: uuid.UUID
    name: str
    code: str
    kind: SealKind
    type: SealType
    status: SealStatus
    unit_id: uuid.UUID
    keeper_ids: tuple[uuid.UUID, ...]


@dataclass(frozen=True)
class CustodyBrief:
    id: uuid.UUID
    seal_id: uuid.UUID
    request_id: uuid.UUID | None
    holder_id: uuid.UUID
    handed_out_by: uuid.UUID
    handed_out_at: datetime
    expected_return_at: datetime | None
    carried_out: bool
    returned_at: datetime | None


# ---- labels served by /api/v1/meta/enums ----

_KIND_LABELS: dict[SealKind, tuple[str, str, str]] = {
    SealKind.PHYSICAL: ("实体章", "Physical seal", "primary"),
    SealKind.ELECTRONIC: ("电子章", "Electronic seal", "success"),
    SealKind.SMART: ("智能印章", "Smart seal", "warning"),
}
_TYPE_LABELS: dict[SealType, tuple[str, str, str]] = {
    SealType.OFFICIAL: ("公章", "Official seal", "danger"),
    SealType.CONTRACT: ("合同专用章", "Contract seal", "primary"),
    SealType.FINANCE: ("财务专用章", "Finance seal", "warning"),
    SealType.INVOICE: ("发票专用章", "Invoice seal", "warning"),
    SealType.LEGAL_REP: ("法定代表人章", "Legal representative's seal", "danger"),
    SealType.HR: ("人事章", "HR seal", "info"),
    SealType.DEPARTMENT: ("部门章", "Department seal", "info"),
    SealType.CUSTOM: ("自定义", "Custom", "info"),
}


def enum_labels() -> dict[str, list[dict[str, Any]]]:
    """Seal kinds, types and statuses with zh/en labels and tag colours."""
    return {
        "seal_kind": label_table(_KIND_LABELS),
        "seal_type": label_table(_TYPE_LABELS),
        "seal_status": SEAL_STATUS.labels(),
    }


def type_name(seal_type: str, custom_type_name: str | None) -> TypeName:
    """Display name of a seal's type; a custom type shows its own name in both languages."""
    if seal_type == SealType.CUSTOM and custom_type_name:
        return TypeName(zh=custom_type_name, en=custom_type_name)
    zh, en, _ = _TYPE_LABELS[SealType(seal_type)]
    return TypeName(zh=zh, en=en)


def status_label(status: str | None, locale: str = "zh-CN") -> str:
    return SEAL_STATUS.label(status, locale) if status else label("无", "none", locale)
