"""Applications' front door: flows, documents, the application lifecycle and approvals."""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import PurePosixPath
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from sealhub.identity import service as identity_service
from sealhub.platform import audit, clock, events
from sealhub.platform.actor import Actor, DataScope, SystemActor
from sealhub.platform.db import appends
from sealhub.platform.db.repository import page
from sealhub.platform.errors import Forbidden
from sealhub.platform.ids import new_id
from sealhub.requests import flows as engine
from sealhub.requests import policy
from sealhub.requests.errors import (
    AlreadyAssignee,
    AlreadyDecided,
    AmendmentPending,
    AssigneeNotMember,
    DocumentNotFound,
    DuplicateSeal,
    HandOutNotAllowed,
    InvalidDocument,
    InvalidFlow,
    InvalidPages,
    InvalidRequestTransition,
    InvalidUnit,
    InvalidWindow,
    ItemNotFound,
    NoApprovers,
    NoFlow,
    NotApplicant,
    NotAssignee,
    PhotoDebt,
    RequestNotFound,
    SealNotActive,
    SealNotInOrg,
    SelfApproval,
)
from sealhub.requests.flows import ApproverKind, FlowMode, StepOutcome
from sealhub.requests.models import (
    Amendment,
    ApprovalFlow,
    ApprovalTask,
    Document,
    RequestDocument,
    RequestEvent,
    RequestItem,
    StampPhoto,
    StampRequest,
)
from sealhub.requests.policy import Action, AmendmentStatus, RequestStatus, TaskStatus
from sealhub.requests.repository import (
    DocumentRepository,
    FlowRepository,
    PhotoRepository,
    RequestRepository,
    due_for_expiry,
    next_request_seq,
    request_numbers,
)
from sealhub.requests.schemas import (
    AmendmentOut,
    CanDo,
    DocumentOut,
    EventOut,
    FlowIn,
    FlowOut,
    FlowRef,
    ItemIn,
    ItemOut,
    PhotoOut,
    PreviewOut,
    PreviewStep,
    RequestCreate,
    RequestDetail,
    RequestOut,
    SealBriefOut,
    SealRef,
    TaskOut,
    UserRef,
    status_zh,
)
from sealhub.seals import service as seals_service
from sealhub.seals.schemas import PageRequest, SealBrief, SealKind, SealStatus
from sealhub.storage import service as storage_service
from sealhub.storage.service import StorageRuntime

DOCUMENT_PURPOSE = "document"
PHOTO_PURPOSE = "stamp_photo"
DOCUMENT_KINDS = frozenset({"pdf", "image"})
LOCAL_TZ = ZoneInfo("Asia/Shanghai")  # application numbers follow the local calendar day
REQUEST_SORTS = {"created_at", "name", "valid_until"}
FLOW_SORTS = {"created_at", "name", "priority"}
_ACTIVE = "active"
_TARGET = "stamp_request"
_SYSTEM_USER = uuid.UUID(int=0)


# ---- approval flows ----


async def list_flows(
    session: AsyncSession, actor: Actor, *, include_inactive: bool, paging: PageRequest
) -> tuple[list[FlowOut], int]:
    """The organisation's flows (current versions), highest priority first by default."""
    repo = FlowRepository(session, actor)
    stmt = repo.current()
    if not include_inactive:
        stmt = stmt.where(ApprovalFlow.active.is_(True))
    field, desc = paging.sort_key(FLOW_SORTS, "-priority")
    col = getattr(ApprovalFlow, field)
    rows, total = await page(
        session,
        stmt,
        [col.desc() if desc else col, ApprovalFlow.family_id],
        paging.offset,
        paging.page_size,
    )
    return [_flow_out(f) for f in rows], total


async def get_flow(session: AsyncSession, actor: Actor, flow_id: uuid.UUID) -> FlowOut:
    """One flow's current version."""
    return _flow_out(await FlowRepository(session, actor).current_of(flow_id))


async def create_flow(session: AsyncSession, actor: Actor, *, data: FlowIn) -> FlowOut:
    """Define an approval flow (version 1)."""
    await _check_flow(session, actor, data)
    flow_id = new_id()
    flow = ApprovalFlow(id=flow_id, family_id=flow_id, org_id=actor.org_id, version=1)
    _fill_flow(flow, data, actor)
    session.add(flow)
    await session.flush()
    out = _flow_out(flow)
    await audit.record(
        session,
        actor,
        "flows.create",
        "approval_flow",
        flow.family_id,
        summary=audit.Summary(f"新建审批流程“{flow.name}”", f"Created approval flow “{flow.name}”"),
        after=out.model_dump(mode="json"),
    )
    return out


async def update_flow(
    session: AsyncSession, actor: Actor, flow_id: uuid.UUID, *, data: FlowIn
) -> FlowOut:
    """Edit a flow: a new version; running applications keep the version they started with."""
    repo = FlowRepository(session, actor)
    old = await repo.current_of(flow_id, lock=True)
    await _check_flow(session, actor, data)
    before = _flow_out(old)
    old.is_current = False
    await session.flush()
    flow = ApprovalFlow(org_id=actor.org_id, family_id=old.family_id, version=old.version + 1)
    _fill_flow(flow, data, actor)
    session.add(flow)
    await session.flush()
    out = _flow_out(flow)
    await audit.record(
        session,
        actor,
        "flows.update",
        "approval_flow",
        flow.family_id,
        summary=audit.Summary(
            f"修改审批流程“{flow.name}”（第 {flow.version} 版）",
            f"Updated approval flow “{flow.name}” (version {flow.version})",
        ),
        before=before.model_dump(mode="json"),
        after=out.model_dump(mode="json"),
    )
    return out


async def deactivate_flow(session: AsyncSession, actor: Actor, flow_id: uuid.UUID) -> None:
    """Stop a flow from routing new applications (running ones keep their snapshot)."""
    flow = await FlowRepository(session, actor).current_of(flow_id, lock=True)
    if not flow.active:
        return
    flow.active = False
    await session.flush()
    await audit.record(
        session,
        actor,
        "flows.deactivate",
        "approval_flow",
        flow.family_id,
        summary=audit.Summary(
            f"停用审批流程“{flow.name}”", f"Deactivated approval flow “{flow.name}”"
        ),
        before={"active": True},
        after={"active": False},
    )


async def preview_flow(
    session: AsyncSession,
    actor: Actor,
    *,
    seal_ids: list[uuid.UUID],
    presses: int,
    unit_id: uuid.UUID | None,
) -> PreviewOut:
    """Which flow an application would follow and who would approve each step."""
    briefs = await _briefs(session, actor, seal_ids)
    people = _People()
    await people.need(
        session, actor.org_id, [actor.user_id, *(k for b in briefs.values() for k in b.keeper_ids)]
    )
    unit = _applicant_unit(actor, people.infos.get(actor.user_id), unit_id)
    flow, snapshot_steps = await _route_plan(
        session,
        actor.org_id,
        actor,
        actor.user_id,
        unit,
        list(briefs.values()),
        presses,
        strict=False,
        people=people,
    )
    ids = [uuid.UUID(u) for s in snapshot_steps for u in s["approver_ids"]]
    names = await _names(session, actor.org_id, ids, people.names())
    steps = [
        PreviewStep(
            index=i,
            name=s["name"],
            mode=FlowMode(s["mode"]),
            approver_kind=ApproverKind(s["approver"]["kind"]),
            approvers=[
                UserRef(user_id=uuid.UUID(u), real_name=names.get(uuid.UUID(u), ""))
                for u in s["approver_ids"]
            ],
        )
        for i, s in enumerate(snapshot_steps)
    ]
    return PreviewOut(flow=_flow_out(flow), steps=steps)


# ---- documents ----


async def upload_document(
    session: AsyncSession, runtime: StorageRuntime, actor: Actor, data: bytes, *, filename: str
) -> DocumentOut:
    """Store a PDF or image to be stamped (its hash and page count recorded)."""
    obj = await storage_service.put(
        session,
        runtime,
        actor,
        data,
        filename=filename,
        purpose=DOCUMENT_PURPOSE,
        allowed_kinds=DOCUMENT_KINDS,
    )
    doc = Document(
        org_id=actor.org_id,
        object_id=obj.id,
        filename=_basename(filename) or obj.filename,
        sha256=obj.sha256,
        size=obj.size,
        content_type=obj.content_type,
        pages=obj.pages or 1,
        uploaded_by=actor.user_id,
        created_at=clock.now(),
    )
    session.add(doc)
    await session.flush()
    out = DocumentOut.model_validate(doc)
    await audit.record(
        session,
        actor,
        "requests.upload_document",
        "document",
        doc.id,
        summary=audit.Summary(
            f"上传用印文件“{doc.filename}”（{doc.pages} 页）",
            f"Uploaded document “{doc.filename}” ({doc.pages} pages)",
        ),
        after=out.model_dump(mode="json"),
    )
    return out


async def get_document(session: AsyncSession, actor: Actor, document_id: uuid.UUID) -> DocumentOut:
    """A document the actor uploaded or may read through an application."""
    return DocumentOut.model_validate(await _readable_document(session, actor, document_id))


async def document_content(
    session: AsyncSession, runtime: StorageRuntime, actor: Actor, document_id: uuid.UUID
) -> tuple[DocumentOut, bytes]:
    """The bytes of a document the actor may read."""
    doc = await _readable_document(session, actor, document_id)
    _, data = await storage_service.get(session, runtime, actor, doc.object_id)
    return DocumentOut.model_validate(doc), data


async def _readable_document(
    session: AsyncSession, actor: Actor, document_id: uuid.UUID
) -> Document:
    repo = DocumentRepository(session, actor)
    doc = await repo.get(document_id)
    if doc.uploaded_by == actor.user_id:
        return doc
    for request_id in await repo.request_ids_using(doc.id):
        try:
            await _visible(session, actor, request_id)
        except RequestNotFound:
            continue
        return doc
    raise DocumentNotFound()


# ---- applications: create and submit ----


async def create_request(
    session: AsyncSession, actor: Actor, *, data: RequestCreate
) -> RequestDetail:
    """Apply to use seals (a draft, or submitted for approval at once with `submit`)."""
    now = clock.now()
    # the number first, while this request holds no connection (see _number_apart); a create
    # that fails afterwards leaves a gap in the day's numbers, which is accepted
    number = await _number_apart(session, actor.org_id, now)
    await _check_photo_debt(session, actor)
    _check_window(data.valid_from, data.valid_until, now)
    docs = await DocumentRepository(session, actor).by_ids(data.document_ids)
    by_id = {d.id: d for d in docs}
    if len(set(data.document_ids)) != len(data.document_ids) or any(
        by_id.get(i) is None or by_id[i].uploaded_by != actor.user_id for i in data.document_ids
    ):
        raise InvalidDocument()
    seal_ids = [i.seal_id for i in data.items]
    if len(set(seal_ids)) != len(seal_ids):
        raise DuplicateSeal()
    briefs = await _briefs(session, actor, seal_ids)
    max_pages = max(d.pages for d in docs)
    for item in data.items:
        _check_item_pages(item, max_pages)
    # the applicant and the seals' keepers in one look-up; routing reuses it
    people = _People()
    await people.need(
        session, actor.org_id, [actor.user_id, *(k for b in briefs.values() for k in b.keeper_ids)]
    )
    unit_id = _applicant_unit(actor, people.infos.get(actor.user_id), data.unit_id)
    req = StampRequest(
        id=new_id(),
        org_id=actor.org_id,
        number="",
        name=data.name,
        reason=data.reason,
        urgency=data.urgency,
        status=RequestStatus.DRAFT,
        valid_from=data.valid_from,
        valid_until=data.valid_until,
        applicant_id=actor.user_id,
        applicant_name=actor.name[:100],
        unit_id=unit_id,
        flow_snapshot=None,
        current_step=None,
        submitted_at=None,
        decided_at=None,
        finished_at=None,
        end_reason="",
        photos_owed=False,
        created_at=now,
        updated_at=now,
    )
    items = [
        RequestItem(
            id=new_id(),
            org_id=actor.org_id,
            request_id=req.id,
            seal_id=briefs[item.seal_id].id,
            seal_name=briefs[item.seal_id].name,
            seal_kind=briefs[item.seal_id].kind,
            seal_type=briefs[item.seal_id].type,
            presses=item.presses,
            presses_used=0,
            pages=item.pages,
            position=item.position.model_dump(exclude_none=True) if item.position else None,
            straddle=item.straddle.model_dump() if item.straddle else None,
            handed_out=False,
            sort=sort,
        )
        for sort, item in enumerate(data.items)
    ]
    plan = await _plan_submit(session, actor, req, items, briefs, people) if data.submit else None
    # routed (or a draft) and about to be written: a number if none was taken apart
    req.number = number or await _number_in(session, actor.org_id, now)
    created = _snapshot(req)
    # inserted in its final status; the timeline still shows draft -> submitted -> in review
    moves = [("create", None, RequestStatus.DRAFT), *(_apply_submit(req, plan) if plan else [])]
    session.add(req)
    await session.flush()  # the parent row before its children (no relationship() ordering)
    timeline = [_event(session, actor, req, a, before, after) for a, before, after in moves]
    session.add_all(
        RequestDocument(org_id=actor.org_id, request_id=req.id, document_id=doc_id, sort=sort)
        for sort, doc_id in enumerate(data.document_ids)
    )
    session.add_all(items)
    # no flush of its own: the audit entry's flush writes these rows along with it
    tasks = (
        await _open_step(session, req, None, plan.steps, 0, plan.names, flush=False) if plan else []
    )
    await audit.record(
        session,
        actor,
        "requests.create",
        _TARGET,
        req.id,
        summary=audit.Summary(
            f"创建用章申请“{req.name}”（{req.number}）",
            f"Created application “{req.name}” ({req.number})",
        ),
        after=created,
    )
    if plan is not None:
        await _finish_submit(session, actor, req, items, plan)
    return _build_detail(
        actor,
        req,
        _Parts(items=items, tasks=tasks, amendments=[]),
        briefs,
        docs=[by_id[i] for i in data.document_ids],
        photos=[],
        timeline=timeline,
    )


async def submit(session: AsyncSession, actor: Actor, request_id: uuid.UUID) -> RequestDetail:
    """The applicant submits a draft: it is routed to the matching flow's first step."""
    req = await _for_update(session, actor, request_id)
    _applicant_only(actor, req)
    items = await RequestRepository(session, actor).items([req.id])
    briefs = await _briefs(session, actor, [i.seal_id for i in items])
    plan = await _plan_submit(session, actor, req, items, briefs, _People())
    for action, before, after in _apply_submit(req, plan):
        _event(session, actor, req, action, before, after)
    await session.flush()
    await _open_step(session, req, None, plan.steps, 0, plan.names)
    await _finish_submit(session, actor, req, items, plan)
    return await _detail(session, actor, req)


@dataclass(frozen=True)
class _Plan:
    """Where a submitted application goes: the flow and each step's resolved approvers."""

    flow: ApprovalFlow
    steps: list[dict[str, Any]]
    names: dict[uuid.UUID, str]


async def _plan_submit(
    session: AsyncSession,
    actor: Actor,
    req: StampRequest,
    items: list[RequestItem],
    briefs: dict[uuid.UUID, SealBrief],
    people: _People,
) -> _Plan:
    policy.transition(policy.transition(req.status, Action.SUBMIT), Action.ROUTE)
    _check_window(req.valid_from, req.valid_until, clock.now())
    flow, steps = await _route_plan(
        session,
        req.org_id,
        actor,
        req.applicant_id,
        req.unit_id,
        [briefs[i.seal_id] for i in items],
        sum(i.presses for i in items),
        strict=True,
        people=people,
    )
    return _Plan(flow=flow, steps=steps, names=people.names())


def _apply_submit(
    req: StampRequest, plan: _Plan
) -> list[tuple[str, RequestStatus | None, RequestStatus]]:
    """Submit and route `req` in memory; the moves made, for the timeline."""
    moves: list[tuple[str, RequestStatus | None, RequestStatus]] = []
    for action, name in ((Action.SUBMIT, "submit"), (Action.ROUTE, "route")):
        before = RequestStatus(req.status)
        req.status = policy.transition(before, action)
        moves.append((name, before, req.status))
    flow = plan.flow
    req.submitted_at = req.updated_at = clock.now()
    req.flow_id = flow.id
    req.flow_snapshot = {
        "flow_id": str(flow.family_id),
        "version_id": str(flow.id),
        "version": flow.version,
        "name": flow.name,
        "steps": plan.steps,
    }
    req.current_step = 0
    return moves


async def _finish_submit(
    session: AsyncSession, actor: Actor, req: StampRequest, items: list[RequestItem], plan: _Plan
) -> None:
    await audit.record(
        session,
        actor,
        "requests.submit",
        _TARGET,
        req.id,
        summary=audit.Summary(
            f"提交用章申请“{req.name}”（{req.number}），审批流程“{plan.flow.name}”",
            f"Submitted application “{req.name}” ({req.number}) to flow “{plan.flow.name}”",
        ),
        after=_snapshot(req),
    )
    await events.emit(session, "requests.submitted", _payload(req, items), org_id=req.org_id)


# ---- decisions ----


async def approve(
    session: AsyncSession, actor: Actor, request_id: uuid.UUID, *, comment: str = ""
) -> RequestDetail:
    """The assignee approves their pending task; the last step's approval approves the whole."""
    return await _decide(session, actor, request_id, TaskStatus.APPROVED, comment)


async def reject(
    session: AsyncSession, actor: Actor, request_id: uuid.UUID, *, comment: str
) -> RequestDetail:
    """The assignee rejects the application (or the pending add-presses amendment)."""
    return await _decide(session, actor, request_id, TaskStatus.REJECTED, comment)


async def transfer(
    session: AsyncSession,
    actor: Actor,
    request_id: uuid.UUID,
    *,
    to_user_id: uuid.UUID,
    comment: str = "",
) -> RequestDetail:
    """The assignee hands their pending task to someone else (转交)."""
    req = await _for_update(session, actor, request_id)
    task = await _my_pending_task(session, actor, req, Action.TRANSFER)
    await _check_new_assignee(session, actor, req, task, to_user_id)
    task.status = TaskStatus.TRANSFERRED
    task.comment = comment
    task.decided_at = clock.now()
    new = await _add_task(session, req, task, to_user_id, origin="transferred", by=actor.user_id)
    _event(
        session,
        actor,
        req,
        "transfer",
        req.status,
        req.status,
        comment=_with(f"转交给{new.assignee_name}", comment),
    )
    await audit.record(
        session,
        actor,
        "requests.transfer",
        _TARGET,
        req.id,
        summary=audit.Summary(
            f"将申请“{req.name}”（{req.number}）的审批转交给{new.assignee_name}",
            f"Transferred the review of “{req.name}” ({req.number}) to {new.assignee_name}",
        ),
        after={"task_id": str(new.id), "to_user_id": str(to_user_id)},
    )
    return await _detail(session, actor, req)


async def add_approver(
    session: AsyncSession,
    actor: Actor,
    request_id: uuid.UUID,
    *,
    user_id: uuid.UUID,
    comment: str = "",
) -> RequestDetail:
    """The assignee adds another approver to the current step (加签)."""
    req = await _for_update(session, actor, request_id)
    task = await _my_pending_task(session, actor, req, Action.ADD_APPROVER)
    await _check_new_assignee(session, actor, req, task, user_id)
    new = await _add_task(session, req, task, user_id, origin="added", by=actor.user_id)
    _event(
        session,
        actor,
        req,
        "add_approver",
        req.status,
        req.status,
        comment=_with(f"加签{new.assignee_name}", comment),
    )
    await audit.record(
        session,
        actor,
        "requests.add_approver",
        _TARGET,
        req.id,
        summary=audit.Summary(
            f"为申请“{req.name}”（{req.number}）加签{new.assignee_name}",
            f"Added approver {new.assignee_name} to “{req.name}” ({req.number})",
        ),
        after={"task_id": str(new.id), "user_id": str(user_id)},
    )
    return await _detail(session, actor, req)


async def _decide(
    session: AsyncSession,
    actor: Actor,
    request_id: uuid.UUID,
    decision: TaskStatus,
    comment: str,
) -> RequestDetail:
    req = await _for_update(session, actor, request_id)
    task = await _my_pending_task(session, actor, req, Action.DECIDE)
    now = clock.now()
    task.status = decision
    task.comment = comment
    task.decided_at = now
    await session.flush()
    repo = RequestRepository(session, actor)
    amendment = await repo.pending_amendment(req.id) if task.amendment_id else None
    run_tasks = [t for t in await repo.tasks(req.id) if t.amendment_id == task.amendment_id]
    step_tasks = [t for t in run_tasks if t.step_index == task.step_index]
    outcome = engine.step_outcome(FlowMode(task.mode), [TaskStatus(t.status) for t in step_tasks])
    word, word_en = (
        ("同意", "Approved") if decision == TaskStatus.APPROVED else ("驳回", "Rejected")
    )
    what, what_en = ("追加次数", "more presses for") if amendment else ("申请", "application")
    before_status = req.status
    if outcome != StepOutcome.PENDING:
        for t in run_tasks:
            if t.status == TaskStatus.PENDING:
                t.status = TaskStatus.CANCELLED
    steps = amendment.steps if amendment else (req.flow_snapshot or {}).get("steps", [])
    final = outcome == StepOutcome.APPROVED and task.step_index + 1 >= len(steps)
    if outcome == StepOutcome.REJECTED:
        if amendment:
            amendment.status = AmendmentStatus.REJECTED
            amendment.decided_at = now
        else:
            req.status = policy.transition(req.status, Action.REJECT)
            req.decided_at = now
            req.current_step = None
    elif outcome == StepOutcome.APPROVED and not final:
        if amendment:
            amendment.current_step = task.step_index + 1
        else:
            req.current_step = task.step_index + 1
        await _open_step(session, req, amendment, steps, task.step_index + 1)
    elif final:
        if amendment:
            amendment.status = AmendmentStatus.APPROVED
            amendment.decided_at = now
            items = await repo.items([req.id])
            item = next(i for i in items if i.id == amendment.item_id)
            item.presses += amendment.presses
        else:
            req.status = policy.transition(req.status, Action.APPROVE)
            req.decided_at = now
            req.current_step = None
    req.updated_at = now
    await session.flush()
    action = "approve" if decision == TaskStatus.APPROVED else "reject"
    if amendment:
        action = f"amendment_{action}"
    _event(session, actor, req, action, before_status, req.status, comment=comment)
    await audit.record(
        session,
        actor,
        f"requests.{'approve' if decision == TaskStatus.APPROVED else 'reject'}",
        _TARGET,
        req.id,
        summary=audit.Summary(
            f"{word}{what}“{req.name}”（{req.number}）"
            f"第 {task.step_index + 1} 步“{task.step_name}”",
            f"{word_en} {what_en} “{req.name}” ({req.number}) at step {task.step_index + 1} "
            f"“{task.step_name}”",
        ),
        before={"status": before_status},
        after={"status": req.status, "task_id": str(task.id), "comment": comment},
    )
    if final:
        items = await repo.items([req.id])
        payload = _payload(req, items)
        if amendment:
            payload["amendment_id"] = str(amendment.id)
            await events.emit(session, "requests.presses_added", payload, org_id=req.org_id)
        else:
            await events.emit(session, "requests.approved", payload, org_id=req.org_id)
    elif outcome == StepOutcome.REJECTED and not amendment:
        await events.emit(session, "requests.rejected", _payload(req, []), org_id=req.org_id)
    return await _detail(session, actor, req)


async def _my_pending_task(
    session: AsyncSession, actor: Actor, req: StampRequest, action: Action
) -> ApprovalTask:
    if actor.user_id == req.applicant_id:
        raise SelfApproval()
    tasks = await RequestRepository(session, actor).tasks(req.id)
    mine = [t for t in tasks if t.assignee_id == actor.user_id]
    pending = [t for t in mine if t.status == TaskStatus.PENDING]
    if pending:
        policy.require(req.status, action)
        return pending[0]
    if any(t.status in (TaskStatus.APPROVED, TaskStatus.REJECTED) for t in mine):
        raise AlreadyDecided()
    policy.require(req.status, action)
    raise NotAssignee()


async def _check_new_assignee(
    session: AsyncSession,
    actor: Actor,
    req: StampRequest,
    task: ApprovalTask,
    user_id: uuid.UUID,
) -> None:
    if user_id == req.applicant_id:
        raise SelfApproval()
    info = await identity_service.member_info(session, req.org_id, user_id)
    if info is None or info.status != _ACTIVE:
        raise AssigneeNotMember()
    tasks = await RequestRepository(session, actor).tasks(req.id, pending_only=True)
    if user_id == actor.user_id or any(
        t.assignee_id == user_id
        and t.amendment_id == task.amendment_id
        and t.step_index == task.step_index
        for t in tasks
    ):
        raise AlreadyAssignee()


async def _add_task(
    session: AsyncSession,
    req: StampRequest,
    like: ApprovalTask,
    user_id: uuid.UUID,
    *,
    origin: str,
    by: uuid.UUID,
) -> ApprovalTask:
    names = await identity_service.names(session, req.org_id, [user_id])
    task = ApprovalTask(
        org_id=req.org_id,
        request_id=req.id,
        amendment_id=like.amendment_id,
        step_index=like.step_index,
        step_name=like.step_name,
        mode=like.mode,
        assignee_id=user_id,
        assignee_name=names.get(user_id, "")[:100],
        origin=origin,
        origin_by=by,
        created_at=clock.now(),
    )
    session.add(task)
    await session.flush()
    return task


# ---- after approval ----


async def withdraw(session: AsyncSession, actor: Actor, request_id: uuid.UUID) -> RequestDetail:
    """The applicant takes back an application still in review."""
    req = await _for_update(session, actor, request_id)
    _applicant_only(actor, req)
    target = policy.transition(req.status, Action.WITHDRAW)
    await _cancel_pending(session, actor, req)
    before = req.status
    _move(session, actor, req, target, "withdraw")
    req.current_step = None
    await audit.record(
        session,
        actor,
        "requests.withdraw",
        _TARGET,
        req.id,
        summary=audit.Summary(
            f"撤回用章申请“{req.name}”（{req.number}）",
            f"Withdrew application “{req.name}” ({req.number})",
        ),
        before={"status": before},
        after={"status": req.status},
    )
    return await _detail(session, actor, req)


async def add_presses(
    session: AsyncSession,
    actor: Actor,
    request_id: uuid.UUID,
    *,
    item_id: uuid.UUID | None,
    seal_id: uuid.UUID | None,
    presses: int,
    reason: str,
) -> RequestDetail:
    """Ask for more presses of one seal (追加次数): approved again by the same flow."""
    req = await _for_update(session, actor, request_id)
    _applicant_only(actor, req)
    policy.require(req.status, Action.ADD_PRESSES)
    repo = RequestRepository(session, actor)
    items = await repo.items([req.id])
    item = next(
        (i for i in items if i.id == item_id or (seal_id is not None and i.seal_id == seal_id)),
        None,
    )
    if item is None:
        raise ItemNotFound()
    if await repo.pending_amendment(req.id) is not None:
        raise AmendmentPending()
    snapshot = req.flow_snapshot or {}
    briefs = await _briefs(session, actor, [i.seal_id for i in items], require_active=False)
    directory = await _directory(
        session,
        req.org_id,
        req.applicant_id,
        req.unit_id,
        [engine.ApproverSpec.from_json(s["approver"]) for s in snapshot.get("steps", [])],
        list(briefs.values()),
    )
    steps = _resolve_steps(snapshot.get("steps", []), directory, strict=True)
    amendment = Amendment(
        org_id=req.org_id,
        request_id=req.id,
        item_id=item.id,
        presses=presses,
        reason=reason,
        status=AmendmentStatus.PENDING,
        current_step=0,
        steps=steps,
        created_by=actor.user_id,
        created_at=clock.now(),
    )
    session.add(amendment)
    await session.flush()
    await _open_step(session, req, amendment, steps, 0)
    _event(
        session,
        actor,
        req,
        "add_presses",
        req.status,
        req.status,
        comment=_with(f"{item.seal_name} 追加 {presses} 次", reason),
    )
    await audit.record(
        session,
        actor,
        "requests.add_presses",
        _TARGET,
        req.id,
        summary=audit.Summary(
            f"申请为“{req.name}”（{req.number}）的印章“{item.seal_name}”追加 {presses} 次",
            f"Asked for {presses} more presses of “{item.seal_name}” "
            f"on “{req.name}” ({req.number})",
        ),
        after={"amendment_id": str(amendment.id), "presses": presses, "reason": reason},
    )
    return await _detail(session, actor, req)


async def end(
    session: AsyncSession, actor: Actor, request_id: uuid.UUID, *, reason: str
) -> RequestDetail:
    """End an approved application early (the applicant or a manager)."""
    req = await _for_update(session, actor, request_id)
    _applicant_or_manager(actor, req)
    target = policy.transition(req.status, Action.END)
    await _cancel_pending(session, actor, req)
    before = req.status
    _move(session, actor, req, target, "end", comment=reason)
    req.finished_at = clock.now()
    req.end_reason = reason
    await audit.record(
        session,
        actor,
        "requests.end",
        _TARGET,
        req.id,
        summary=audit.Summary(
            f"提前结束用章申请“{req.name}”（{req.number}）：{reason}",
            f"Ended application “{req.name}” ({req.number}) early: {reason}",
        ),
        before={"status": before},
        after={"status": req.status},
    )
    payload = _payload(req, [])
    payload["ended_early"] = True
    await events.emit(session, "requests.completed", payload, org_id=req.org_id)
    return await _detail(session, actor, req)


async def change_window(
    session: AsyncSession,
    actor: Actor,
    request_id: uuid.UUID,
    *,
    valid_from: datetime,
    valid_until: datetime,
) -> RequestDetail:
    """Change the validity window (the applicant or a manager)."""
    req = await _for_update(session, actor, request_id)
    _applicant_or_manager(actor, req)
    policy.require(req.status, Action.CHANGE_WINDOW)
    _check_window(valid_from, valid_until, clock.now())
    before = {"valid_from": req.valid_from, "valid_until": req.valid_until}
    req.valid_from, req.valid_until = valid_from, valid_until
    req.updated_at = clock.now()
    await session.flush()
    fmt = "%Y-%m-%d %H:%M"
    start, end = valid_from.astimezone(LOCAL_TZ), valid_until.astimezone(LOCAL_TZ)
    span, span_en = f"{start:{fmt}} 至 {end:{fmt}}", f"{start:{fmt}} – {end:{fmt}}"
    _event(session, actor, req, "change_window", req.status, req.status, comment=span)
    await audit.record(
        session,
        actor,
        "requests.change_window",
        _TARGET,
        req.id,
        summary=audit.Summary(
            f"调整用章申请“{req.name}”（{req.number}）有效期为 {span}",
            f"Changed the window of “{req.name}” ({req.number}) to {span_en}",
        ),
        before=before,
        after={"valid_from": valid_from, "valid_until": valid_until},
    )
    if req.status in (RequestStatus.APPROVED, RequestStatus.IN_USE):
        await events.emit(session, "requests.window_changed", _payload(req, []), org_id=req.org_id)
    return await _detail(session, actor, req)


async def archive(session: AsyncSession, actor: Actor, request_id: uuid.UUID) -> RequestDetail:
    """File a completed or expired application away."""
    req = await _for_update(session, actor, request_id)
    target = policy.transition(req.status, Action.ARCHIVE)
    before = req.status
    _move(session, actor, req, target, "archive")
    await audit.record(
        session,
        actor,
        "requests.archive",
        _TARGET,
        req.id,
        summary=audit.Summary(
            f"归档用章申请“{req.name}”（{req.number}）",
            f"Archived application “{req.name}” ({req.number})",
        ),
        before={"status": before},
        after={"status": req.status},
    )
    return await _detail(session, actor, req)


# ---- physical seals: hand-out, photos, return ----


async def numbers(
    session: AsyncSession, org_id: uuid.UUID, request_ids: list[uuid.UUID]
) -> dict[uuid.UUID, str]:
    """Application numbers (SQ…) by id, for lists that show them next to other records."""
    return await request_numbers(session, org_id, request_ids)


async def check_hand_out(
    session: AsyncSession,
    actor: Actor,
    request_id: uuid.UUID,
    seal_id: uuid.UUID,
    holder_id: uuid.UUID,
) -> None:
    """Allow a physical seal's hand-out for an application (the first one puts it in use)."""
    repo = RequestRepository(session, actor)
    req = await repo.tenant_get(request_id, lock=True)
    if req.status not in policy.ALLOWED[Action.HAND_OUT]:
        raise HandOutNotAllowed(reason=f"申请单{status_zh(req.status)}")
    items = await repo.items([req.id])
    item = next((i for i in items if i.seal_id == seal_id), None)
    if item is None or item.seal_kind != SealKind.PHYSICAL:
        raise HandOutNotAllowed(reason="申请单中没有该实体印章")
    if holder_id != req.applicant_id:
        raise HandOutNotAllowed(reason="领用人必须是申请人")
    now = clock.now()
    if not req.valid_from <= now < req.valid_until:
        raise HandOutNotAllowed(reason="不在申请的有效期内")
    item.handed_out = True
    if not await repo.has_photos(req.id):
        req.photos_owed = True
    if req.status == RequestStatus.APPROVED:
        _move(session, actor, req, policy.transition(req.status, Action.USE), "use")
    req.updated_at = now
    await session.flush()
    await audit.record(
        session,
        actor,
        "requests.hand_out",
        _TARGET,
        req.id,
        summary=audit.Summary(
            f"为用章申请“{req.name}”（{req.number}）外借印章“{item.seal_name}”",
            f"Handed out seal “{item.seal_name}” for “{req.name}” ({req.number})",
        ),
        after={"seal_id": str(seal_id), "status": req.status},
    )


async def upload_photo(
    session: AsyncSession,
    runtime: StorageRuntime,
    actor: Actor,
    request_id: uuid.UUID,
    data: bytes,
    *,
    filename: str,
) -> PhotoOut:
    """The applicant uploads a photo (or scan) of stamped pages."""
    req = await _for_update(session, actor, request_id)
    _applicant_only(actor, req)
    policy.require(req.status, Action.UPLOAD_PHOTOS)
    repo = RequestRepository(session, actor)
    items = await repo.items([req.id])
    if not any(i.handed_out for i in items):
        raise InvalidRequestTransition(current=req.status, action=Action.UPLOAD_PHOTOS)
    obj = await storage_service.put(
        session,
        runtime,
        actor,
        data,
        filename=filename,
        purpose=PHOTO_PURPOSE,
        allowed_kinds=DOCUMENT_KINDS,
    )
    photo = StampPhoto(
        org_id=req.org_id,
        request_id=req.id,
        object_id=obj.id,
        filename=_basename(filename) or obj.filename,
        sha256=obj.sha256,
        content_type=obj.content_type,
        size=obj.size,
        uploaded_by=actor.user_id,
        created_at=clock.now(),
    )
    session.add(photo)
    req.photos_owed = False
    await session.flush()
    _event(session, actor, req, "upload_photo", req.status, req.status, comment=photo.filename)
    await audit.record(
        session,
        actor,
        "requests.upload_photo",
        _TARGET,
        req.id,
        summary=audit.Summary(
            f"上传用章申请“{req.name}”（{req.number}）的盖章照片“{photo.filename}”",
            f"Uploaded stamped-page photo “{photo.filename}” for “{req.name}” ({req.number})",
        ),
        after={"photo_id": str(photo.id), "sha256": photo.sha256},
    )
    await _maybe_complete(session, actor, req)
    return PhotoOut.model_validate(photo)


async def photo_content(
    session: AsyncSession,
    runtime: StorageRuntime,
    actor: Actor,
    request_id: uuid.UUID,
    photo_id: uuid.UUID,
) -> tuple[PhotoOut, bytes]:
    """The bytes of a stamp photo of an application the actor may read."""
    await _visible(session, actor, request_id)
    photo = await PhotoRepository(session, actor).get(photo_id)
    if photo.request_id != request_id:
        raise RequestNotFound()
    _, data = await storage_service.get(session, runtime, actor, photo.object_id)
    return PhotoOut.model_validate(photo), data


async def seal_returned(session: AsyncSession, org_id: uuid.UUID, request_id: uuid.UUID) -> None:
    """A physical seal came back: complete the application if nothing else is owed."""
    actor = _system(org_id)
    try:
        req = await RequestRepository(session, actor).tenant_get(request_id, lock=True)
    except RequestNotFound:
        return
    items = await RequestRepository(session, actor).items([req.id])
    await _count_presses(session, req, items)
    await _maybe_complete(session, actor, req, items)


async def _count_presses(
    session: AsyncSession, req: StampRequest, items: list[RequestItem]
) -> None:
    """Physical items' presses_used = what the keepers counted at the returns (recomputed, so
    a redelivered event changes nothing); more than approved is flagged once."""
    counted = await seals_service.pressed_for_request(session, req.org_id, req.id)
    for item in items:
        if item.seal_kind != SealKind.PHYSICAL or item.seal_id not in counted:
            continue
        before, item.presses_used = item.presses_used, counted[item.seal_id]
        if item.presses_used > item.presses >= before:
            over = item.presses_used - item.presses
            _event(
                session,
                None,
                req,
                "over_pressed",
                req.status,
                req.status,
                comment=f"{item.seal_name}：{item.presses_used}/{item.presses}",
            )
            await audit.record(
                session,
                SystemActor(org_id=req.org_id),
                "requests.over_pressed",
                _TARGET,
                req.id,
                summary=audit.Summary(
                    f"用章申请“{req.name}”（{req.number}）的印章“{item.seal_name}”"
                    f"盖了 {item.presses_used} 次，超出批准的 {item.presses} 次",
                    f"Seal “{item.seal_name}” was pressed {item.presses_used} times on "
                    f"“{req.name}” ({req.number}), {over} more than the {item.presses} approved",
                ),
                before={"presses_used": before},
                after={"presses_used": item.presses_used, "presses": item.presses},
            )
            await events.emit(
                session,
                "requests.over_pressed",
                {
                    "org_id": str(req.org_id),
                    "request_id": str(req.id),
                    "seal_id": str(item.seal_id),
                    "presses": item.presses,
                    "presses_used": item.presses_used,
                },
                org_id=req.org_id,
            )


async def _maybe_complete(
    session: AsyncSession, actor: Actor, req: StampRequest, items: list[RequestItem] | None = None
) -> None:
    """In use, every physical seal handed out and back, and photographed: completed."""
    if req.status != RequestStatus.IN_USE:
        return
    repo = RequestRepository(session, actor)
    if items is None:
        items = await repo.items([req.id])
    physical = [i for i in items if i.seal_kind == SealKind.PHYSICAL]
    if not physical or not all(i.handed_out for i in physical):
        return
    if await seals_service.open_custody_for_request(session, req.org_id, req.id):
        return
    if not await repo.has_photos(req.id):
        return
    system = actor.user_id == _SYSTEM_USER
    _move(
        session,
        None if system else actor,
        req,
        policy.transition(req.status, Action.COMPLETE),
        "complete",
    )
    req.finished_at = clock.now()
    await session.flush()
    await audit.record(
        session,
        SystemActor(org_id=req.org_id) if system else actor,
        "requests.complete",
        _TARGET,
        req.id,
        summary=audit.Summary(
            f"用章申请“{req.name}”（{req.number}）印章已全部归还并上传照片，自动完成",
            f"Application “{req.name}” ({req.number}) completed: seals returned, photos in",
        ),
        after={"status": req.status},
        org_id=req.org_id,
    )
    payload = _payload(req, [])
    payload["ended_early"] = False
    await events.emit(session, "requests.completed", payload, org_id=req.org_id)


async def expire_due(session: AsyncSession, now: datetime, *, limit: int = 500) -> int:
    """Expire approved or in-use applications whose window has closed; returns how many."""
    count = 0
    for req in await due_for_expiry(session, now, limit):
        actor = _system(req.org_id)
        await _cancel_pending(session, actor, req)
        before = req.status
        _move(session, None, req, policy.transition(req.status, Action.EXPIRE), "expire")
        req.finished_at = now
        await audit.record(
            session,
            SystemActor(org_id=req.org_id),
            "requests.expire",
            _TARGET,
            req.id,
            summary=audit.Summary(
                f"用章申请“{req.name}”（{req.number}）已过有效期",
                f"Application “{req.name}” ({req.number}) expired",
            ),
            before={"status": before},
            after={"status": req.status},
            org_id=req.org_id,
        )
        await events.emit(session, "requests.expired", _payload(req, []), org_id=req.org_id)
        count += 1
    await session.flush()
    return count


# ---- reading ----


async def list_requests(
    session: AsyncSession,
    actor: Actor,
    *,
    box: str,
    status: RequestStatus | None = None,
    seal_id: uuid.UUID | None = None,
    urgency: str | None = None,
    created_from: datetime | None = None,
    created_to: datetime | None = None,
    q: str | None = None,
    paging: PageRequest,
) -> tuple[list[RequestOut], int]:
    """An inbox: mine (I applied), pending (awaiting me), decided (by me), all (request.read)."""
    if box == "all" and not actor.can("request.read"):
        raise Forbidden()
    field, desc = paging.sort_key(REQUEST_SORTS, "-created_at")
    col = getattr(StampRequest, field)
    repo = RequestRepository(session, actor)
    rows, total = await repo.search(
        box=box,
        status=status,
        seal_id=seal_id,
        urgency=urgency,
        created_from=created_from,
        created_to=created_to,
        q=q,
        order=[col.desc() if desc else col, StampRequest.id.desc() if desc else StampRequest.id],
        offset=paging.offset,
        limit=paging.page_size,
    )
    items = await repo.items([r.id for r in rows])
    by_request: dict[uuid.UUID, list[RequestItem]] = {}
    for item in items:
        by_request.setdefault(item.request_id, []).append(item)
    return [_out(r, by_request.get(r.id, [])) for r in rows], total


async def get_request(session: AsyncSession, actor: Actor, request_id: uuid.UUID) -> RequestDetail:
    """Everything about one application the actor may see, and what they may do with it."""
    req = await _visible(session, actor, request_id)
    return await _detail(session, actor, req)


# ---- helpers: visibility and roles ----


def _system(org_id: uuid.UUID) -> Actor:
    return Actor(user_id=_SYSTEM_USER, org_id=org_id, name="系统", data_scope=DataScope.ORG)


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


def _number(day: date, seq: int) -> str:
    """SQ20261123-0001: per organisation and local day; a fifth digit after 9999."""
    return f"SQ{day:%Y%m%d}-{seq:04d}"


def _local_day(now: datetime) -> date:
    return now.astimezone(LOCAL_TZ).date()


def _holds_connection(session: AsyncSession) -> bool:
    trans = session.sync_session.get_transaction()
    if trans is None:
        return False
    # SessionTransaction.connections is public from SQLAlchemy 2.1.7
    held = getattr(trans, "connections", None)
    return bool(held if held is not None else getattr(trans, "_connections", None))


async def _number_apart(session: AsyncSession, org_id: uuid.UUID, now: datetime) -> str | None:
    """The next number from the day's counter in a transaction of its own, committed at once,
    so concurrent applications of one organisation neither fail nor wait on each other's
    transactions. A create that then fails leaves a gap in the numbers (accepted).

    None when the session already holds a connection (an Idempotency-Key look-up, a cold
    actor cache): taking a second one from the same pool could deadlock a busy pool, so the
    caller takes the number in its own transaction instead (`_number_in`)."""
    bind = session.bind
    if not isinstance(bind, AsyncEngine) or _holds_connection(session):
        return None
    day = _local_day(now)
    for attempt in range(3):
        try:
            async with bind.connect() as conn:
                if conn.dialect.name in ("postgresql", "sqlite"):
                    # one atomic statement: its own transaction, no BEGIN/COMMIT round trips
                    await conn.execution_options(isolation_level="AUTOCOMMIT")
                    seq = await next_request_seq(conn, org_id, day)
                else:
                    async with conn.begin():
                        seq = await next_request_seq(conn, org_id, day)
        except DBAPIError:
            # MariaDB may pick a deadlock victim among the first upserts of a day: retry
            if attempt == 2:
                raise
            continue
        return _number(day, seq)
    raise AssertionError("unreachable")


async def _number_in(session: AsyncSession, org_id: uuid.UUID, now: datetime) -> str:
    """The next number from the day's counter in the caller's transaction: the counter row
    stays locked until it commits, so call this as late as possible (never fails, may wait)."""
    day = _local_day(now)
    return _number(day, await next_request_seq(await session.connection(), org_id, day))


# ---- helpers: routing ----


async def _route_plan(
    session: AsyncSession,
    org_id: uuid.UUID,
    actor: Actor,
    applicant_id: uuid.UUID,
    unit_id: uuid.UUID | None,
    briefs: list[SealBrief],
    total_presses: int,
    *,
    strict: bool,
    people: _People,
) -> tuple[ApprovalFlow, list[dict[str, Any]]]:
    """The flow that applies and each step's resolved approvers (JSON for the snapshot)."""
    chain = await identity_service.unit_chain(session, org_id, unit_id) if unit_id else []
    subject = engine.Subject(
        seal_types=frozenset(str(b.type) for b in briefs),
        seal_kinds=frozenset(str(b.kind) for b in briefs),
        total_presses=total_presses,
        unit_chain=tuple(u.id for u in chain),
    )
    rows = await FlowRepository(session, actor).active_current()
    defs = {f.id: _flow_def(f) for f in rows}
    chosen = engine.select_flow(defs.values(), subject)
    if chosen is None:
        raise NoFlow()
    flow = next(f for f in rows if f.id == chosen.id)
    directory = await _directory(
        session,
        org_id,
        applicant_id,
        unit_id,
        [s.approver for s in chosen.steps],
        briefs,
        chain=chain,
        people=people,
    )
    return flow, _resolve_steps(flow.steps, directory, strict=strict)


def _resolve_steps(
    steps: list[dict[str, Any]], directory: engine.Directory, *, strict: bool
) -> list[dict[str, Any]]:
    resolved = []
    for step in steps:
        spec = engine.ApproverSpec.from_json(step["approver"])
        ids = engine.resolve(spec, directory)
        if strict and not ids:
            raise NoApprovers(step=step["name"])
        resolved.append(
            {
                "name": step["name"],
                "mode": step["mode"],
                "approver": step["approver"],
                "approver_ids": [str(u) for u in ids],
            }
        )
    return resolved


async def _directory(
    session: AsyncSession,
    org_id: uuid.UUID,
    applicant_id: uuid.UUID,
    unit_id: uuid.UUID | None,
    specs: list[engine.ApproverSpec],
    briefs: list[SealBrief],
    *,
    chain: list[identity_service.UnitInfo] | None = None,
    people: _People | None = None,
) -> engine.Directory:
    """Gather what resolving these specs needs: units, role holders, people, keepers."""
    if chain is None:
        chain = await identity_service.unit_chain(session, org_id, unit_id) if unit_id else []
    known = people if people is not None else _People()
    holders: dict[uuid.UUID, list[tuple[uuid.UUID, frozenset[uuid.UUID]]]] = {}
    wanted: set[uuid.UUID] = set()
    role_ids = {s.role_id for s in specs if s.role_id is not None}
    for role_id in role_ids:
        users = await identity_service.users_with_role(session, org_id, role_id)
        await known.need(session, org_id, users)
        holders[role_id] = [
            (u, frozenset(known.infos[u].unit_ids)) for u in users if u in known.infos
        ]
    for spec in specs:
        wanted.update(spec.user_ids)
    keepers: list[uuid.UUID] = []
    if any(s.kind == ApproverKind.SEAL_KEEPER for s in specs):
        keepers = list(dict.fromkeys(k for b in briefs for k in b.keeper_ids))
        wanted.update(keepers)
    if any(s.kind == ApproverKind.UNIT_SUPERVISOR for s in specs):
        # supervisors matter only to these specs: no look-up of them otherwise
        wanted.update(u for unit in chain for ids in unit.supervisors.values() for u in ids)
    await known.need(session, org_id, wanted)
    active = frozenset(u for u in wanted if known.active(u))
    return engine.Directory(
        applicant_id=applicant_id,
        chain=tuple(
            engine.ChainUnit(
                u.id,
                {t: [x for x in ids if x in active] for t, ids in u.supervisors.items()},
            )
            for u in chain
        ),
        role_holders=holders,
        active_users=active,
        keeper_ids=tuple(k for k in keepers if k in active),
    )


async def _open_step(
    session: AsyncSession,
    req: StampRequest,
    amendment: Amendment | None,
    steps: list[dict[str, Any]],
    index: int,
    known_names: dict[uuid.UUID, str] | None = None,
    *,
    flush: bool = True,
) -> list[ApprovalTask]:
    step = steps[index]
    ids = [uuid.UUID(u) for u in step["approver_ids"]]
    names = await _names(session, req.org_id, ids, known_names or {})
    now = clock.now()
    tasks = [
        ApprovalTask(
            id=new_id(),
            org_id=req.org_id,
            request_id=req.id,
            amendment_id=amendment.id if amendment else None,
            step_index=index,
            step_name=step["name"],
            mode=step["mode"],
            assignee_id=uid,
            assignee_name=names.get(uid, "")[:100],
            status=TaskStatus.PENDING,
            origin="routed",
            origin_by=None,
            comment="",
            created_at=now,
            decided_at=None,
        )
        for uid in ids
    ]
    session.add_all(tasks)
    if flush:
        await session.flush()
    return tasks


async def _names(
    session: AsyncSession, org_id: uuid.UUID, ids: list[uuid.UUID], known: dict[uuid.UUID, str]
) -> dict[uuid.UUID, str]:
    """Display names of `ids`, from `known` when it has them all."""
    if all(u in known for u in ids):
        return known
    return await identity_service.names(session, org_id, ids)


class _People:
    """Members looked up once per use case (routing reads the same people several times)."""

    def __init__(self) -> None:
        self.infos: dict[uuid.UUID, identity_service.MemberInfo] = {}
        self._asked: set[uuid.UUID] = set()

    async def need(
        self, session: AsyncSession, org_id: uuid.UUID, user_ids: Iterable[uuid.UUID]
    ) -> None:
        missing = [u for u in dict.fromkeys(user_ids) if u not in self._asked]
        if missing:
            self.infos.update(await identity_service.members_info(session, org_id, missing))
            self._asked.update(missing)

    def active(self, user_id: uuid.UUID) -> bool:
        info = self.infos.get(user_id)
        return info is not None and info.status == _ACTIVE

    def names(self) -> dict[uuid.UUID, str]:
        return {u: i.real_name for u, i in self.infos.items()}


async def _cancel_pending(session: AsyncSession, actor: Actor, req: StampRequest) -> None:
    repo = RequestRepository(session, actor)
    for task in await repo.tasks(req.id, pending_only=True):
        task.status = TaskStatus.CANCELLED
    amendment = await repo.pending_amendment(req.id)
    if amendment is not None:
        amendment.status = AmendmentStatus.CANCELLED
    await session.flush()


async def _check_flow(session: AsyncSession, actor: Actor, data: FlowIn) -> None:
    for step in data.steps:
        spec = step.approver
        if spec.role_id is not None and not await identity_service.role_exists(
            session, actor.org_id, spec.role_id
        ):
            raise InvalidFlow(reason=f"步骤“{step.name}”的角色不存在")
        if spec.user_ids:
            infos = await identity_service.members_info(session, actor.org_id, spec.user_ids)
            if any(infos.get(u) is None for u in spec.user_ids):
                raise InvalidFlow(reason=f"步骤“{step.name}”的人员不在本组织")
    for unit_id in data.conditions.unit_ids:
        if not await identity_service.unit_exists(session, actor.org_id, unit_id):
            raise InvalidFlow(reason="条件中的部门不存在")


def _fill_flow(flow: ApprovalFlow, data: FlowIn, actor: Actor) -> None:
    flow.name = data.name
    flow.description = data.description
    flow.priority = data.priority
    flow.active = data.active
    flow.is_current = True
    flow.conditions = data.conditions.model_dump(mode="json")
    flow.steps = [s.model_dump(mode="json") for s in data.steps]
    flow.created_by = actor.user_id
    flow.created_at = clock.now()


def _flow_def(flow: ApprovalFlow) -> engine.FlowDef:
    return engine.FlowDef(
        id=flow.id,
        priority=flow.priority,
        active=flow.active,
        conditions=engine.Conditions.from_json(flow.conditions),
        steps=tuple(
            engine.StepDef(
                name=s["name"],
                mode=FlowMode(s["mode"]),
                approver=engine.ApproverSpec.from_json(s["approver"]),
            )
            for s in flow.steps
        ),
    )


def _flow_out(flow: ApprovalFlow) -> FlowOut:
    return FlowOut(
        id=flow.family_id,
        version_id=flow.id,
        version=flow.version,
        name=flow.name,
        description=flow.description,
        priority=flow.priority,
        active=flow.active,
        conditions=flow.conditions,
        steps=flow.steps,
        created_at=flow.created_at,
        created_by=flow.created_by,
    )


# ---- helpers: timeline and output ----


def _move(
    session: AsyncSession,
    actor: Actor | None,
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
    actor: Actor | None,
    req: StampRequest,
    action: str,
    from_status: str | None,
    to_status: str | None,
    *,
    comment: str = "",
) -> EventOut:
    """One timeline entry, written with the transaction (append-only, see appends)."""
    system = actor is None or actor.user_id == _SYSTEM_USER
    event = EventOut(
        id=new_id(),
        actor_id=None if system or actor is None else actor.user_id,
        actor_name="系统" if system or actor is None else actor.name[:100],
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


def _payload(req: StampRequest, items: list[RequestItem]) -> dict[str, Any]:
    return {
        "org_id": str(req.org_id),
        "request_id": str(req.id),
        "number": req.number,
        "status": str(req.status),
        "applicant_id": str(req.applicant_id),
        "valid_from": req.valid_from.isoformat(),
        "valid_until": req.valid_until.isoformat(),
        "items": [
            {
                "item_id": str(i.id),
                "seal_id": str(i.seal_id),
                "seal_kind": i.seal_kind,
                "presses": i.presses,
                "pages": i.pages,
                "position": i.position,
                "straddle": i.straddle,
            }
            for i in items
        ],
    }


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


# ---- figures for dashboards ----


@dataclass(frozen=True)
class RequestFigures:
    pending_for_me: int
    this_week: int
    # (Asia/Shanghai calendar day, applications created), oldest first, zero days included
    trend: list[tuple[str, int]]


async def figures(session: AsyncSession, actor: Actor, *, days: int = 30) -> RequestFigures:
    """Counts for the overview: my pending approvals, this week's and a daily trend."""
    from datetime import timedelta

    from sealhub.requests import repository as repo

    tz = ZoneInfo("Asia/Shanghai")
    today = clock.now().astimezone(tz).date()
    first = today - timedelta(days=days - 1)
    start = datetime.combine(first, datetime.min.time(), tz)
    created = await repo.created_since(session, actor, start)
    per_day: dict[str, int] = {}
    for at in created:
        day = clock.aware(at).astimezone(tz).date().isoformat()
        per_day[day] = per_day.get(day, 0) + 1
    trend = [
        (
            (first + timedelta(days=i)).isoformat(),
            per_day.get((first + timedelta(days=i)).isoformat(), 0),
        )
        for i in range(days)
    ]
    week_start = today - timedelta(days=today.weekday())
    this_week = sum(n for day, n in trend if day >= week_start.isoformat())
    return RequestFigures(
        pending_for_me=await repo.pending_task_count(session, actor),
        this_week=this_week,
        trend=trend,
    )
