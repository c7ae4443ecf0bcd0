"""Approval flows: define, version, deactivate, preview."""

from __future__ import annotations

import uuid

from sqlalchemy.ext.asyncio import AsyncSession

from sealhub.platform import audit
from sealhub.platform.actor import Actor
from sealhub.platform.db.repository import page
from sealhub.platform.ids import new_id
from sealhub.requests.flows import ApproverKind, FlowMode
from sealhub.requests.models import (
    ApprovalFlow,
)
from sealhub.requests.repository import (
    FlowRepository,
)
from sealhub.requests.schemas import (
    FlowIn,
    FlowOut,
    PreviewOut,
    PreviewStep,
    UserRef,
)
from sealhub.requests.service._common import FLOW_SORTS, _applicant_unit, _briefs
from sealhub.requests.service._routing import (
    _check_flow,
    _fill_flow,
    _flow_out,
    _names,
    _People,
    _route_plan,
)
from sealhub.seals.schemas import PageRequest

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
        "flow.create",
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
        "flow.update",
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
        "flow.deactivate",
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
