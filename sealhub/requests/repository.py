"""Tenant-bound queries on applications, their parts, flows and documents."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import date, datetime
from typing import Any

from sqlalchemy import BindParameter, Select, bindparam, func, or_, select
from sqlalchemy.dialects import mysql, postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from sealhub.platform.actor import Actor
from sealhub.platform.db import appends
from sealhub.platform.db.repository import TenantRepository, page
from sealhub.requests.errors import DocumentNotFound, FlowNotFound, PhotoNotFound, RequestNotFound
from sealhub.requests.models import (
    Amendment,
    ApprovalFlow,
    ApprovalTask,
    Document,
    RequestCounter,
    RequestDocument,
    RequestEvent,
    RequestItem,
    StampPhoto,
    StampRequest,
)
from sealhub.requests.policy import AmendmentStatus, RequestStatus, TaskStatus


def _lock(session: AsyncSession, stmt: Select[Any]) -> Select[Any]:
    if session.bind is not None and session.bind.dialect.name != "sqlite":
        return stmt.with_for_update()
    return stmt


# built once: the create path runs these on every application
_ACTIVE_FLOWS = select(ApprovalFlow).where(
    ApprovalFlow.org_id == bindparam("org_id"),
    ApprovalFlow.is_current.is_(True),
    ApprovalFlow.active.is_(True),
)
_DOCUMENTS_BY_IDS = select(Document).where(
    Document.org_id == bindparam("org_id"), Document.id.in_(bindparam("ids", expanding=True))
)


class FlowRepository(TenantRepository[ApprovalFlow]):
    model = ApprovalFlow
    not_found = FlowNotFound

    def current(self) -> Select[ApprovalFlow]:
        return self.tenant().where(ApprovalFlow.is_current.is_(True))

    async def current_of(self, flow_id: uuid.UUID, *, lock: bool = False) -> ApprovalFlow:
        """The current version of the flow family `flow_id` (a family id or any version id)."""
        family = select(ApprovalFlow.family_id).where(
            ApprovalFlow.org_id == self.actor.org_id, ApprovalFlow.id == flow_id
        )
        stmt = self.current().where(
            or_(ApprovalFlow.family_id == flow_id, ApprovalFlow.family_id.in_(family))
        )
        row: ApprovalFlow | None = (
            await self.session.execute(_lock(self.session, stmt) if lock else stmt)
        ).scalar_one_or_none()
        if row is None:
            raise FlowNotFound()
        return row

    async def active_current(self) -> list[ApprovalFlow]:
        result = await self.session.execute(_ACTIVE_FLOWS, {"org_id": self.actor.org_id})
        return list(result.scalars())

    async def versions(self, family_id: uuid.UUID) -> list[ApprovalFlow]:
        stmt = self.tenant().where(ApprovalFlow.family_id == family_id)
        return list((await self.session.execute(stmt.order_by(ApprovalFlow.version))).scalars())


class DocumentRepository(TenantRepository[Document]):
    model = Document
    not_found = DocumentNotFound

    async def by_ids(self, ids: Sequence[uuid.UUID]) -> list[Document]:
        if not ids:
            return []
        params = {"org_id": self.actor.org_id, "ids": list(ids)}
        return list((await self.session.execute(_DOCUMENTS_BY_IDS, params)).scalars())

    async def of_request(self, request_id: uuid.UUID) -> list[Document]:
        stmt = (
            self.tenant()
            .join(RequestDocument, RequestDocument.document_id == Document.id)
            .where(RequestDocument.request_id == request_id)
            .order_by(RequestDocument.sort)
        )
        return list((await self.session.execute(stmt)).scalars())

    async def request_ids_using(self, document_id: uuid.UUID) -> list[uuid.UUID]:
        stmt = select(RequestDocument.request_id).where(
            RequestDocument.org_id == self.actor.org_id, RequestDocument.document_id == document_id
        )
        return list((await self.session.execute(stmt)).scalars())


class PhotoRepository(TenantRepository[StampPhoto]):
    model = StampPhoto
    not_found = PhotoNotFound

    async def of_request(self, request_id: uuid.UUID) -> list[StampPhoto]:
        stmt = self.tenant().where(StampPhoto.request_id == request_id)
        return list((await self.session.execute(stmt.order_by(StampPhoto.created_at))).scalars())


class RequestRepository(TenantRepository[StampRequest]):
    """Readers with `request.read` see applications of their data scope (applicant's unit)."""

    model = StampRequest
    scope_unit = "unit_id"
    scope_owner = "applicant_id"
    not_found = RequestNotFound

    async def tenant_get(self, request_id: uuid.UUID, *, lock: bool = False) -> StampRequest:
        stmt = self.tenant().where(StampRequest.id == request_id)
        row: StampRequest | None = (
            await self.session.execute(_lock(self.session, stmt) if lock else stmt)
        ).scalar_one_or_none()
        if row is None:
            raise RequestNotFound()
        return row

    async def in_scope(self, request_id: uuid.UUID) -> bool:
        stmt = self.readable().where(StampRequest.id == request_id)
        return (await self.session.execute(stmt)).scalar_one_or_none() is not None

    def box(self, box: str) -> Select[StampRequest]:
        me = self.actor.user_id
        if box == "mine":
            return self.tenant().where(StampRequest.applicant_id == me)
        if box in ("pending", "decided"):
            statuses = (
                [TaskStatus.PENDING]
                if box == "pending"
                else [TaskStatus.APPROVED, TaskStatus.REJECTED]
            )
            tasks = select(ApprovalTask.request_id).where(
                ApprovalTask.org_id == self.actor.org_id,
                ApprovalTask.assignee_id == me,
                ApprovalTask.status.in_(statuses),
            )
            return self.tenant().where(StampRequest.id.in_(tasks))
        return self.readable()

    async def search(
        self,
        *,
        box: str,
        status: str | None,
        seal_id: uuid.UUID | None,
        urgency: str | None,
        created_from: datetime | None,
        created_to: datetime | None,
        q: str | None,
        order: Sequence[Any],
        offset: int,
        limit: int,
    ) -> tuple[list[StampRequest], int]:
        stmt = self.box(box)
        if status:
            stmt = stmt.where(StampRequest.status == status)
        if urgency:
            stmt = stmt.where(StampRequest.urgency == urgency)
        if seal_id:
            with_seal = select(RequestItem.request_id).where(
                RequestItem.org_id == self.actor.org_id, RequestItem.seal_id == seal_id
            )
            stmt = stmt.where(StampRequest.id.in_(with_seal))
        if created_from:
            stmt = stmt.where(StampRequest.created_at >= created_from)
        if created_to:
            stmt = stmt.where(StampRequest.created_at < created_to)
        if q:
            like = f"%{q}%"
            stmt = stmt.where(or_(StampRequest.name.like(like), StampRequest.number.like(like)))
        return await page(self.session, stmt, order, offset, limit)

    async def photo_debt(self, user_id: uuid.UUID) -> StampRequest | None:
        stmt = (
            self.tenant()
            .where(StampRequest.applicant_id == user_id, StampRequest.photos_owed.is_(True))
            .order_by(StampRequest.created_at)
            .limit(1)
        )
        return (await self.session.execute(stmt)).scalar_one_or_none()

    # ---- the parts of one application ----

    async def items(self, request_ids: Sequence[uuid.UUID]) -> list[RequestItem]:
        if not request_ids:
            return []
        stmt = (
            select(RequestItem)
            .where(
                RequestItem.org_id == self.actor.org_id,
                RequestItem.request_id.in_(list(request_ids)),
            )
            .order_by(RequestItem.request_id, RequestItem.sort)
        )
        return list((await self.session.execute(stmt)).scalars())

    async def tasks(
        self, request_id: uuid.UUID, *, pending_only: bool = False
    ) -> list[ApprovalTask]:
        stmt = select(ApprovalTask).where(
            ApprovalTask.org_id == self.actor.org_id, ApprovalTask.request_id == request_id
        )
        if pending_only:
            stmt = stmt.where(ApprovalTask.status == TaskStatus.PENDING)
        stmt = stmt.order_by(ApprovalTask.created_at, ApprovalTask.id)
        return list((await self.session.execute(stmt)).scalars())

    async def events(self, request_id: uuid.UUID) -> list[RequestEvent]:
        await appends.write(self.session)  # this transaction's own entries too
        stmt = (
            select(RequestEvent)
            .where(RequestEvent.org_id == self.actor.org_id, RequestEvent.request_id == request_id)
            .order_by(RequestEvent.at, RequestEvent.id)
        )
        return list((await self.session.execute(stmt)).scalars())

    async def amendments(self, request_id: uuid.UUID) -> list[Amendment]:
        stmt = (
            select(Amendment)
            .where(Amendment.org_id == self.actor.org_id, Amendment.request_id == request_id)
            .order_by(Amendment.created_at, Amendment.id)
        )
        return list((await self.session.execute(stmt)).scalars())

    async def pending_amendment(self, request_id: uuid.UUID) -> Amendment | None:
        stmt = select(Amendment).where(
            Amendment.org_id == self.actor.org_id,
            Amendment.request_id == request_id,
            Amendment.status == AmendmentStatus.PENDING,
        )
        return (await self.session.execute(stmt)).scalar_one_or_none()

    async def has_photos(self, request_id: uuid.UUID) -> bool:
        stmt = select(func.count(StampPhoto.id)).where(
            StampPhoto.org_id == self.actor.org_id, StampPhoto.request_id == request_id
        )
        return bool(await self.session.scalar(stmt))


_SEQ_UPSERTS: dict[str, Any] = {}


def _seq_upsert(dialect: str) -> Any:
    """The counter upsert for a dialect, built once."""
    stmt = _SEQ_UPSERTS.get(dialect)
    if stmt is not None:
        return stmt
    org_id: BindParameter[uuid.UUID] = bindparam("org_id")
    day: BindParameter[date] = bindparam("day")
    if dialect in ("mysql", "mariadb"):
        # no RETURNING with ON DUPLICATE KEY UPDATE: LAST_INSERT_ID(expr) hands the new value
        # back in the reply's insert id (cursor.lastrowid), so no second round trip
        stmt = (
            mysql.insert(RequestCounter)
            .values(org_id=org_id, day=day, seq=func.last_insert_id(1))
            .on_duplicate_key_update(seq=func.last_insert_id(RequestCounter.seq + 1))
        )
    else:
        insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
        stmt = (
            insert(RequestCounter)
            .values(org_id=org_id, day=day, seq=1)
            .on_conflict_do_update(
                index_elements=[RequestCounter.org_id, RequestCounter.day],
                set_={"seq": RequestCounter.seq + 1},
            )
            .returning(RequestCounter.seq)
        )
    _SEQ_UPSERTS[dialect] = stmt
    return stmt


async def next_request_seq(conn: AsyncConnection, org_id: uuid.UUID, day: date) -> int:
    """Add one to the organisation's counter for `day` (1 when it is the day's first) in one
    atomic statement; the row stays locked until `conn`'s transaction ends."""
    result = await conn.execute(_seq_upsert(conn.dialect.name), {"org_id": org_id, "day": day})
    if conn.dialect.name in ("mysql", "mariadb"):
        return int(result.lastrowid)
    return int(result.scalar_one())


async def request_numbers(
    session: AsyncSession, org_id: uuid.UUID, request_ids: list[uuid.UUID]
) -> dict[uuid.UUID, str]:
    if not request_ids:
        return {}
    rows = await session.execute(
        select(StampRequest.id, StampRequest.number).where(
            StampRequest.org_id == org_id, StampRequest.id.in_(list(set(request_ids)))
        )
    )
    return {rid: number for rid, number in rows.all()}


async def due_for_expiry(session: AsyncSession, now: datetime, limit: int) -> list[StampRequest]:
    """Approved or in-use applications of every organisation whose window has closed."""
    stmt = (
        select(StampRequest)
        .where(
            StampRequest.status.in_([RequestStatus.APPROVED, RequestStatus.IN_USE]),
            StampRequest.valid_until <= now,
        )
        .order_by(StampRequest.valid_until)
        .limit(limit)
    )
    if session.bind is not None and session.bind.dialect.name != "sqlite":
        stmt = stmt.with_for_update(skip_locked=True)
    return list((await session.execute(stmt)).scalars())


async def created_since(session: AsyncSession, actor: Actor, since: datetime) -> list[datetime]:
    """Creation times of applications the actor may see (request.read scope, or their own)."""
    repo = RequestRepository(session, actor)
    base = repo.readable() if actor.can("request.read") else repo.box("mine")
    stmt = base.with_only_columns(StampRequest.created_at).where(StampRequest.created_at >= since)
    return list((await session.execute(stmt)).scalars())


async def pending_task_count(session: AsyncSession, actor: Actor) -> int:
    stmt = select(func.count()).where(
        ApprovalTask.org_id == actor.org_id,
        ApprovalTask.assignee_id == actor.user_id,
        ApprovalTask.status == TaskStatus.PENDING,
    )
    return int(await session.scalar(stmt) or 0)
