"""The applicant's side: create, submit, withdraw, ask for more presses, change the window."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from sealhub.platform import audit, clock
from sealhub.platform.actor import Actor
from sealhub.platform.ids import new_id
from sealhub.requests import flows as engine
from sealhub.requests import policy
from sealhub.requests.errors import (
    AmendmentPending,
    DuplicateSeal,
    InvalidDocument,
    ItemNotFound,
)
from sealhub.requests.events import RequestSubmitted, WindowChanged
from sealhub.requests.models import (
    Amendment,
    ApprovalFlow,
    RequestDocument,
    RequestItem,
    StampRequest,
)
from sealhub.requests.policy import Action, AmendmentStatus, RequestStatus
from sealhub.requests.repository import (
    DocumentRepository,
    RequestRepository,
)
from sealhub.requests.schemas import (
    RequestCreate,
    RequestDetail,
)
from sealhub.requests.service._common import (
    _TARGET,
    _applicant_only,
    _applicant_or_manager,
    _applicant_unit,
    _briefs,
    _build_detail,
    _cancel_pending,
    _check_item_pages,
    _check_photo_debt,
    _check_window,
    _detail,
    _event,
    _facts,
    _for_update,
    _move,
    _Parts,
    _snapshot,
    _with,
)
from sealhub.requests.service._numbering import _number_apart, _number_in
from sealhub.requests.service._routing import (
    _directory,
    _open_step,
    _People,
    _resolve_steps,
    _route_plan,
)
from sealhub.seals.schemas import SealBrief

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
        "request.create",
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
        "request.submit",
        _TARGET,
        req.id,
        summary=audit.Summary(
            f"提交用章申请“{req.name}”（{req.number}），审批流程“{plan.flow.name}”",
            f"Submitted application “{req.name}” ({req.number}) to flow “{plan.flow.name}”",
        ),
        after=_snapshot(req),
        event=_facts(RequestSubmitted, req, items),
    )


_LIVE = (RequestStatus.APPROVED, RequestStatus.IN_USE)


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
        "request.withdraw",
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
        "request.add_presses",
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
    start, end = valid_from.astimezone(clock.LOCAL_TZ), valid_until.astimezone(clock.LOCAL_TZ)
    span, span_en = f"{start:{fmt}} 至 {end:{fmt}}", f"{start:{fmt}} – {end:{fmt}}"
    _event(session, actor, req, "change_window", req.status, req.status, comment=span)
    await audit.record(
        session,
        actor,
        "request.change_window",
        _TARGET,
        req.id,
        summary=audit.Summary(
            f"调整用章申请“{req.name}”（{req.number}）有效期为 {span}",
            f"Changed the window of “{req.name}” ({req.number}) to {span_en}",
        ),
        before=before,
        after={"valid_from": valid_from, "valid_until": valid_until},
        # devices and other holders of an authorisation follow a live application's window
        event=_facts(WindowChanged, req) if req.status in _LIVE else None,
    )
    return await _detail(session, actor, req)
