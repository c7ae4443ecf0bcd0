"""Helpers shared by the use-case modules: visibility, checks, timeline and output."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import PurePosixPath
from typing import Any, TypeVar

from sqlalchemy.ext.asyncio import AsyncSession

from sealhub.identity import service as identity_service
from sealhub.platform import clock
from sealhub.platform.actor import Actor
from sealhub.platform.db import appends
from sealhub.platform.errors import Forbidden
from sealhub.platform.ids import new_id
from sealhub.requests import policy
from sealhub.requests.errors import (
    InvalidPages,
    InvalidUnit,
    InvalidWindow,
    NotApplicant,
    PhotoDebt,
    RequestNotFound,
    SealNotActive,
    SealNotInOrg,
)
from sealhub.requests.events import ItemFacts, RequestFacts
from sealhub.requests.models import (
    Amendment,
    ApprovalTask,
    Document,
    RequestEvent,
    RequestItem,
    StampPhoto,
    StampRequest,
)
from sealhub.requests.policy import Action, AmendmentStatus, RequestStatus, TaskStatus
from sealhub.requests.repository import (
    DocumentRepository,
    PhotoRepository,
    RequestRepository,
)
from sealhub.requests.schemas import (
    AmendmentOut,
    CanDo,
    DocumentOut,
    EventOut,
    FlowRef,
    ItemIn,
    ItemOut,
    PhotoOut,
    RequestDetail,
    RequestOut,
    SealBriefOut,
    SealRef,
    TaskOut,
)
from sealhub.seals import service as seals_service
from sealhub.seals.schemas import SealBrief, SealKind, SealStatus

DOCUMENT_PURPOSE = "document"
PHOTO_PURPOSE = "stamp_photo"
DOCUMENT_KINDS = frozenset({"pdf", "image"})

REQUEST_SORTS = {"created_at", "name", "valid_until"}
FLOW_SORTS = {"created_at", "name", "priority"}
_ACTIVE = "active"
_TARGET = "stamp_request"
F = TypeVar("F", bound=RequestFacts)

# ---- helpers: visibility and roles ----


async def _visible(
    session: AsyncSession, actor: Actor, request_id: uuid.UUID, *, lock: bool = False
) -> StampRequest:
    """Applicant, any assignee, keepers of its seals, or readers within their data scope."""
    repo = RequestRepository(session, actor)
    req = await repo.tenant_get(request_id, lock=lock)
    if req.applicant_id == actor.user_id:
        return req
    if any(t.assignee_id == actor.user_id for t in await repo.tasks(req.id)):
        return req
    if actor.can("request.read") and await repo.in_scope(req.id):
        return req
    items = await repo.items([req.id])
    briefs = await seals_service.get_briefs(session, req.org_id, [i.seal_id for i in items])
    if any(actor.user_id in b.keeper_ids for b in briefs.values()):
        return req
    raise RequestNotFound()


async def _for_update(session: AsyncSession, actor: Actor, request_id: uuid.UUID) -> StampRequest:
    return await _visible(session, actor, request_id, lock=True)


def _applicant_only(actor: Actor, req: StampRequest) -> None:
    if actor.user_id != req.applicant_id:
        raise NotApplicant()


def _applicant_or_manager(actor: Actor, req: StampRequest) -> None:
    if actor.user_id != req.applicant_id and not actor.can("request.manage"):
        raise Forbidden()


async def _check_photo_debt(session: AsyncSession, actor: Actor) -> None:
    settings = await identity_service.org_settings(session, actor.org_id)
    if not settings.get("block_on_photo_debt"):
        return
    owed = await RequestRepository(session, actor).photo_debt(actor.user_id)
    if owed is not None:
        raise PhotoDebt(number=owed.number)


def _check_window(valid_from: datetime, valid_until: datetime, now: datetime) -> None:
    if valid_until <= valid_from or valid_until <= now:
        raise InvalidWindow()


def _check_item_pages(item: ItemIn, page_count: int) -> None:
    if item.pages is not None and not policy.pages_within(item.pages, page_count):
        raise InvalidPages(pages=item.pages, page_count=page_count)
    position = item.position
    if position is not None and position.page is not None and position.page > page_count:
        raise InvalidPages(pages=str(position.page), page_count=page_count)
    if item.straddle is not None and item.straddle.to_page > page_count:
        span = f"{item.straddle.from_page}-{item.straddle.to_page}"
        raise InvalidPages(pages=span, page_count=page_count)


def _applicant_unit(
    actor: Actor, info: identity_service.MemberInfo | None, unit_id: uuid.UUID | None
) -> uuid.UUID | None:
    """The unit an application is filed under: the one asked for (if the applicant's), else
    the applicant's primary unit, else their first."""
    units = set(info.unit_ids) if info else set()
    if unit_id is not None:
        if unit_id not in units and unit_id not in actor.unit_ids:
            raise InvalidUnit()
        return unit_id
    if info is not None and info.primary_unit_id is not None:
        return info.primary_unit_id
    return info.unit_ids[0] if info and info.unit_ids else None


async def _briefs(
    session: AsyncSession,
    actor: Actor,
    seal_ids: Sequence[uuid.UUID],
    *,
    require_active: bool = True,
) -> dict[uuid.UUID, SealBrief]:
    briefs = await seals_service.get_briefs(session, actor.org_id, list(seal_ids))
    for seal_id in seal_ids:
        brief = briefs.get(seal_id)
        if brief is None:
            raise SealNotInOrg()
        if require_active and brief.status != SealStatus.ACTIVE:
            raise SealNotActive(seal_name=brief.name)
    return briefs


async def _cancel_pending(session: AsyncSession, actor: Actor, req: StampRequest) -> None:
    repo = RequestRepository(session, actor)
    for task in await repo.tasks(req.id, pending_only=True):
        task.status = TaskStatus.CANCELLED
    amendment = await repo.pending_amendment(req.id)
    if amendment is not None:
        amendment.status = AmendmentStatus.CANCELLED
    await session.flush()


# ---- helpers: timeline and output ----


def _move(
    session: AsyncSession,
    actor: Actor,
    req: StampRequest,
    target: RequestStatus,
    action: str,
    *,
    comment: str = "",
) -> None:
    before = req.status
    req.status = target
    req.updated_at = clock.now()
    _event(session, actor, req, action, before, target, comment=comment)


def _event(
    session: AsyncSession,
    actor: Actor,
    req: StampRequest,
    action: str,
    from_status: str | None,
    to_status: str | None,
    *,
    comment: str = "",
) -> EventOut:
    """One timeline entry, written with the transaction (append-only, see appends)."""
    event = EventOut(
        id=new_id(),
        actor_id=None if actor.is_system else actor.user_id,
        actor_name="系统" if actor.is_system else actor.name[:100],
        action=action,
        from_status=from_status,
        to_status=to_status,
        comment=comment[:1000],
        at=clock.now(),
    )
    appends.append(
        session, RequestEvent, {**event.model_dump(), "org_id": req.org_id, "request_id": req.id}
    )
    return event


def _basename(filename: str) -> str:
    """The name the uploader gave, without any folder part (a shared object keeps the first)."""
    return PurePosixPath(filename.replace("\\", "/")).name.strip()[:255]


def _with(head: str, comment: str) -> str:
    return f"{head}：{comment}" if comment else head


def _snapshot(req: StampRequest) -> dict[str, Any]:
    return {
        "number": req.number,
        "name": req.name,
        "status": req.status,
        "urgency": req.urgency,
        "valid_from": req.valid_from,
        "valid_until": req.valid_until,
        "flow_id": req.flow_id,
    }


def _facts(
    event_type: type[F], req: StampRequest, items: Sequence[RequestItem] = (), **extra: Any
) -> F:
    """An application event carrying the application's facts (and its items, if given)."""
    return event_type(
        org_id=req.org_id,
        request_id=req.id,
        number=req.number,
        status=str(req.status),
        applicant_id=req.applicant_id,
        valid_from=req.valid_from,
        valid_until=req.valid_until,
        items=[
            ItemFacts(
                item_id=i.id,
                seal_id=i.seal_id,
                seal_kind=i.seal_kind,
                presses=i.presses,
                pages=i.pages,
                position=i.position,
                straddle=i.straddle,
            )
            for i in items
        ],
        **extra,
    )


def _out(req: StampRequest, items: list[RequestItem]) -> RequestOut:
    return RequestOut(
        id=req.id,
        number=req.number,
        name=req.name,
        status=RequestStatus(req.status),
        urgency=req.urgency,
        applicant_id=req.applicant_id,
        applicant_name=req.applicant_name,
        unit_id=req.unit_id,
        valid_from=req.valid_from,
        valid_until=req.valid_until,
        total_presses=sum(i.presses for i in items),
        seals=[
            SealRef(
                seal_id=i.seal_id,
                seal_name=i.seal_name,
                seal_kind=SealKind(i.seal_kind),
                presses=i.presses,
            )
            for i in items
        ],
        photos_owed=req.photos_owed,
        created_at=req.created_at,
        updated_at=req.updated_at,
    )


@dataclass(frozen=True)
class _Parts:
    items: list[RequestItem]
    tasks: list[ApprovalTask]
    amendments: list[Amendment]


def _can(actor: Actor, req: StampRequest, parts: _Parts, has_photo_items: bool) -> CanDo:
    me = actor.user_id
    applicant = me == req.applicant_id
    pending = any(t.assignee_id == me and t.status == TaskStatus.PENDING for t in parts.tasks)
    decide = pending and not applicant and policy.allowed(req.status, Action.DECIDE)
    manage = applicant or actor.can("request.manage")
    amendment_open = any(a.status == AmendmentStatus.PENDING for a in parts.amendments)
    return CanDo(
        approve=decide,
        reject=decide,
        transfer=decide,
        add_approver=decide,
        withdraw=applicant and policy.allowed(req.status, Action.WITHDRAW),
        submit=applicant and policy.allowed(req.status, Action.SUBMIT),
        end=manage and policy.allowed(req.status, Action.END),
        change_window=manage and policy.allowed(req.status, Action.CHANGE_WINDOW),
        add_presses=applicant
        and not amendment_open
        and policy.allowed(req.status, Action.ADD_PRESSES),
        upload_photos=applicant
        and has_photo_items
        and policy.allowed(req.status, Action.UPLOAD_PHOTOS),
        archive=actor.can("request.manage") and policy.allowed(req.status, Action.ARCHIVE),
    )


async def _detail(session: AsyncSession, actor: Actor, req: StampRequest) -> RequestDetail:
    await session.flush()
    repo = RequestRepository(session, actor)
    parts = _Parts(
        items=await repo.items([req.id]),
        tasks=await repo.tasks(req.id),
        amendments=await repo.amendments(req.id),
    )
    briefs = await seals_service.get_briefs(session, req.org_id, [i.seal_id for i in parts.items])
    return _build_detail(
        actor,
        req,
        parts,
        briefs,
        docs=await DocumentRepository(session, actor).of_request(req.id),
        photos=await PhotoRepository(session, actor).of_request(req.id),
        timeline=await repo.events(req.id),
    )


def _build_detail(
    actor: Actor,
    req: StampRequest,
    parts: _Parts,
    briefs: dict[uuid.UUID, SealBrief],
    *,
    docs: list[Document],
    photos: list[StampPhoto],
    timeline: Sequence[RequestEvent | EventOut],
) -> RequestDetail:
    snapshot = req.flow_snapshot
    base = _out(req, parts.items)
    return RequestDetail(
        **base.model_dump(),
        reason=req.reason,
        flow=FlowRef(
            id=uuid.UUID(snapshot["flow_id"]),
            version_id=uuid.UUID(snapshot["version_id"]),
            version=snapshot["version"],
            name=snapshot["name"],
            steps=snapshot["steps"],
        )
        if snapshot
        else None,
        current_step=req.current_step,
        submitted_at=req.submitted_at,
        decided_at=req.decided_at,
        finished_at=req.finished_at,
        end_reason=req.end_reason,
        items=[_item_out(i, briefs.get(i.seal_id)) for i in parts.items],
        documents=[DocumentOut.model_validate(d) for d in docs],
        tasks=[TaskOut.model_validate(t) for t in parts.tasks],
        timeline=[EventOut.model_validate(e) for e in timeline],
        amendments=[AmendmentOut.model_validate(a) for a in parts.amendments],
        photos=[PhotoOut.model_validate(p) for p in photos],
        can=_can(actor, req, parts, any(i.handed_out for i in parts.items)),
    )


def _item_out(item: RequestItem, brief: SealBrief | None) -> ItemOut:
    return ItemOut(
        id=item.id,
        seal_id=item.seal_id,
        seal_name=item.seal_name,
        seal_kind=SealKind(item.seal_kind),
        seal_type=item.seal_type,
        seal=SealBriefOut(
            id=brief.id,
            name=brief.name,
            code=brief.code,
            kind=brief.kind,
            type=brief.type,
            status=brief.status,
            unit_id=brief.unit_id,
            keeper_ids=list(brief.keeper_ids),
        )
        if brief
        else None,
        presses=item.presses,
        presses_used=item.presses_used,
        pages=item.pages,
        position=item.position,
        straddle=item.straddle,
        handed_out=item.handed_out,
    )
