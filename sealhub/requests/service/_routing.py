"""Routing: which flow applies and who approves each step."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from sealhub.identity import service as identity_service
from sealhub.platform import clock
from sealhub.platform.actor import Actor
from sealhub.platform.ids import new_id
from sealhub.requests import flows as engine
from sealhub.requests.errors import (
    InvalidFlow,
    NoApprovers,
    NoFlow,
)
from sealhub.requests.flows import ApproverKind, FlowMode
from sealhub.requests.models import (
    Amendment,
    ApprovalFlow,
    ApprovalTask,
    StampRequest,
)
from sealhub.requests.policy import TaskStatus
from sealhub.requests.repository import (
    FlowRepository,
)
from sealhub.requests.schemas import (
    FlowIn,
    FlowOut,
)
from sealhub.requests.service._common import _ACTIVE
from sealhub.seals.schemas import SealBrief

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


async def _check_flow(session: AsyncSession, actor: Actor, data: FlowIn) -> None:
    for step in data.steps:
        spec = step.approver
        if spec.role_id is not None and not await identity_service.role_exists(
            session, actor.org_id, spec.role_id
        ):
            raise InvalidFlow(reason="unknown_role", step=step.name)
        if spec.user_ids:
            infos = await identity_service.members_info(session, actor.org_id, spec.user_ids)
            if any(infos.get(u) is None for u in spec.user_ids):
                raise InvalidFlow(reason="unknown_people", step=step.name)
    for unit_id in data.conditions.unit_ids:
        if not await identity_service.unit_exists(session, actor.org_id, unit_id):
            raise InvalidFlow(reason="unknown_unit")


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
