"""Application and approval-flow tables (private to this context)."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from sealhub.platform import clock
from sealhub.platform.db.base import Base, CreatedUpdatedMixin, IdMixin, TenantMixin
from sealhub.requests.policy import AmendmentStatus, RequestStatus, TaskStatus, Urgency


class ApprovalFlow(IdMixin, TenantMixin, Base):
    """One version of an approval flow; editing adds a version with the same family id."""

    __tablename__ = "approval_flows"
    __table_args__ = (
        UniqueConstraint("org_id", "family_id", "version"),
        Index("ix_approval_flows_current", "org_id", "is_current"),
    )

    # the id of the first version: the flow's stable identity across versions
    family_id: Mapped[uuid.UUID] = mapped_column(index=True)
    version: Mapped[int] = mapped_column(default=1)
    is_current: Mapped[bool] = mapped_column(default=True)
    active: Mapped[bool] = mapped_column(default=True)
    name: Mapped[str] = mapped_column(String(100))
    description: Mapped[str] = mapped_column(String(500), default="")
    priority: Mapped[int] = mapped_column(default=0)
    conditions: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    steps: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    created_by: Mapped[uuid.UUID | None] = mapped_column(default=None)
    created_at: Mapped[datetime] = mapped_column(default=clock.now)


class Document(IdMixin, TenantMixin, Base):
    """A file to be stamped, uploaded by a member before applying."""

    __tablename__ = "request_documents"

    object_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("stored_objects.id"), index=True)
    filename: Mapped[str] = mapped_column(String(255))
    sha256: Mapped[str] = mapped_column(String(64))
    size: Mapped[int] = mapped_column()
    content_type: Mapped[str] = mapped_column(String(100))
    pages: Mapped[int] = mapped_column(default=1)
    uploaded_by: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(default=clock.now)


class StampRequest(IdMixin, TenantMixin, CreatedUpdatedMixin, Base):
    """An application to use seals (申请单)."""

    __tablename__ = "stamp_requests"
    __table_args__ = (
        UniqueConstraint("org_id", "number"),
        Index("ix_stamp_requests_org_status", "org_id", "status"),
        Index("ix_stamp_requests_due", "status", "valid_until"),
    )

    number: Mapped[str] = mapped_column(String(30))
    name: Mapped[str] = mapped_column(String(200))
    reason: Mapped[str] = mapped_column(Text, default="")
    urgency: Mapped[str] = mapped_column(String(10), default=Urgency.NORMAL)
    status: Mapped[str] = mapped_column(String(20), default=RequestStatus.DRAFT)
    valid_from: Mapped[datetime] = mapped_column()
    valid_until: Mapped[datetime] = mapped_column()
    applicant_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id"), index=True)
    applicant_name: Mapped[str] = mapped_column(String(100), default="")
    # the applicant's unit: data scope of readers applies to it
    unit_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("org_units.id"), default=None, index=True
    )
    flow_id: Mapped[uuid.UUID | None] = mapped_column(default=None)
    # the flow version and every step's resolved approvers, fixed at submission
    flow_snapshot: Mapped[dict[str, Any] | None] = mapped_column(JSON, default=None)
    current_step: Mapped[int | None] = mapped_column(default=None)
    submitted_at: Mapped[datetime | None] = mapped_column(default=None)
    decided_at: Mapped[datetime | None] = mapped_column(default=None)
    finished_at: Mapped[datetime | None] = mapped_column(default=None)
    end_reason: Mapped[str] = mapped_column(String(500), default="")
    # a physical seal was handed out and no photo of the stamped pages is uploaded yet
    photos_owed: Mapped[bool] = mapped_column(default=False)


class RequestCounter(Base):
    """The last application number handed out per organisation and local day.

    Incremented atomically in its own short transaction (see `repository.next_request_seq`),
    so concurrent applications never collide on `stamp_requests.number`.
    """

    __tablename__ = "request_counters"

    org_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    # the Asia/Shanghai calendar day the numbers belong to (SQ<yyyymmdd>-<seq>)
    day: Mapped[date] = mapped_column(primary_key=True)
    seq: Mapped[int] = mapped_column(default=0)


class RequestDocument(IdMixin, TenantMixin, Base):
    __tablename__ = "stamp_request_documents"
    __table_args__ = (UniqueConstraint("request_id", "document_id"),)

    request_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("stamp_requests.id", ondelete="CASCADE"), index=True
    )
    document_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("request_documents.id"), index=True)
    sort: Mapped[int] = mapped_column(default=0)


class RequestItem(IdMixin, TenantMixin, Base):
    """One seal of an application: how many presses, on which pages, where."""

    __tablename__ = "stamp_request_items"
    __table_args__ = (UniqueConstraint("request_id", "seal_id"),)

    request_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("stamp_requests.id", ondelete="CASCADE"), index=True
    )
    seal_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("seals.id"), index=True)
    # a snapshot for display and routing; the registry keeps the live record
    seal_name: Mapped[str] = mapped_column(String(100), default="")
    seal_kind: Mapped[str] = mapped_column(String(20))
    seal_type: Mapped[str] = mapped_column(String(30))
    presses: Mapped[int] = mapped_column()
    presses_used: Mapped[int] = mapped_column(default=0)
    pages: Mapped[str | None] = mapped_column(String(200), default=None)
    position: Mapped[dict[str, Any] | None] = mapped_column(JSON, default=None)
    straddle: Mapped[dict[str, Any] | None] = mapped_column(JSON, default=None)
    handed_out: Mapped[bool] = mapped_column(default=False)
    sort: Mapped[int] = mapped_column(default=0)


class Amendment(IdMixin, TenantMixin, Base):
    """Extra presses asked for after approval (追加次数); applied only when approved."""

    __tablename__ = "stamp_request_amendments"

    request_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("stamp_requests.id", ondelete="CASCADE"), index=True
    )
    item_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("stamp_request_items.id"))
    presses: Mapped[int] = mapped_column()
    reason: Mapped[str] = mapped_column(String(500), default="")
    status: Mapped[str] = mapped_column(String(20), default=AmendmentStatus.PENDING)
    current_step: Mapped[int] = mapped_column(default=0)
    steps: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    created_by: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(default=clock.now)
    decided_at: Mapped[datetime | None] = mapped_column(default=None)


class ApprovalTask(IdMixin, TenantMixin, Base):
    """One person's part in one step of an application's (or amendment's) approval."""

    __tablename__ = "approval_tasks"
    __table_args__ = (
        Index("ix_approval_tasks_assignee_status", "org_id", "assignee_id", "status"),
    )

    request_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("stamp_requests.id", ondelete="CASCADE"), index=True
    )
    amendment_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("stamp_request_amendments.id"), default=None
    )
    step_index: Mapped[int] = mapped_column()
    step_name: Mapped[str] = mapped_column(String(100))
    mode: Mapped[str] = mapped_column(String(10))
    assignee_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id"))
    assignee_name: Mapped[str] = mapped_column(String(100), default="")
    status: Mapped[str] = mapped_column(String(20), default=TaskStatus.PENDING)
    # routed | transferred | added
    origin: Mapped[str] = mapped_column(String(20), default="routed")
    origin_by: Mapped[uuid.UUID | None] = mapped_column(default=None)
    comment: Mapped[str] = mapped_column(String(1000), default="")
    created_at: Mapped[datetime] = mapped_column(default=clock.now)
    decided_at: Mapped[datetime | None] = mapped_column(default=None)


class RequestEvent(IdMixin, TenantMixin, Base):
    """One entry of an application's timeline."""

    __tablename__ = "stamp_request_events"
    __table_args__ = (Index("ix_stamp_request_events_request_at", "request_id", "at"),)

    request_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("stamp_requests.id", ondelete="CASCADE")
    )
    actor_id: Mapped[uuid.UUID | None] = mapped_column(default=None)
    actor_name: Mapped[str] = mapped_column(String(100), default="")
    action: Mapped[str] = mapped_column(String(30))
    from_status: Mapped[str | None] = mapped_column(String(20), default=None)
    to_status: Mapped[str | None] = mapped_column(String(20), default=None)
    comment: Mapped[str] = mapped_column(String(1000), default="")
    at: Mapped[datetime] = mapped_column(default=clock.now)


class StampPhoto(IdMixin, TenantMixin, Base):
    """A photo (or scan) of stamped pages uploaded by the applicant."""

    __tablename__ = "stamp_photos"

    request_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("stamp_requests.id", ondelete="CASCADE"), index=True
    )
    object_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("stored_objects.id"))
    filename: Mapped[str] = mapped_column(String(255))
    sha256: Mapped[str] = mapped_column(String(64))
    content_type: Mapped[str] = mapped_column(String(100))
    size: Mapped[int] = mapped_column()
    uploaded_by: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(default=clock.now)
