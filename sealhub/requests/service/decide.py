"""Decisions: approve, reject, transfer, add an approver."""

from __future__ import annotations

import uuid

from sqlalchemy.ext.asyncio import AsyncSession

from sealhub.identity import service as identity_service
from sealhub.platform import audit, clock
from sealhub.platform.actor import Actor
from sealhub.platform.events import Event
from sealhub.requests import flows as engine
from sealhub.requests import policy
from sealhub.requests.errors import (
    AlreadyAssignee,
    AlreadyDecided,
    AssigneeNotMember,
    NotAssignee,
    SelfApproval,
)
from sealhub.requests.events import PressesAdded, RequestApproved, RequestRejected
from sealhub.requests.flows import FlowMode, StepOutcome
from sealhub.requests.models import (
    ApprovalTask,
    StampRequest,
)
from sealhub.requests.policy import Action, AmendmentStatus, TaskStatus
from sealhub.requests.repository import (
    RequestRepository,
)
from sealhub.requests.schemas import (
    RequestDetail,
)
from sealhub.requests.service._common import (
    _ACTIVE,
    _TARGET,
    _detail,
    _event,
    _facts,
    _for_update,
    _with,
)
from sealhub.requests.service._routing import _open_step

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
        "request.transfer",
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
        "request.add_approver",
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
    event: Event | None = None
    if final:
        items = await repo.items([req.id])
        event = (
            _facts(PressesAdded, req, items, amendment_id=amendment.id)
            if amendment
            else _facts(RequestApproved, req, items)
        )
    elif outcome == StepOutcome.REJECTED and not amendment:
        event = _facts(RequestRejected, req)
    await audit.record(
        session,
        actor,
        f"request.{'approve' if decision == TaskStatus.APPROVED else 'reject'}",
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
        event=event,
    )
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
