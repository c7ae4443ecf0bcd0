"""The approval-flow engine, pure: which flow applies, who approves each step, when a step is
done. The service gathers the facts (units, roles, keepers) and calls these functions."""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from sealhub.requests.policy import TaskStatus


class ApproverKind(StrEnum):
    UNIT_SUPERVISOR = "unit_supervisor"  # nearest unit in the chain with that supervisor title
    ROLE_IN_CHAIN = "role_in_chain"  # holders of a role within the applicant's unit chain
    ROLE = "role"  # holders of a role anywhere
    USERS = "users"  # named people
    SEAL_KEEPER = "seal_keeper"  # keepers of the application's seals


class FlowMode(StrEnum):
    ANY = "any"  # 或签: one approval decides
    ALL = "all"  # 会签: every assignee must approve


class StepOutcome(StrEnum):
    PENDING = "pending"
    APPROVED = "approved"
    REJECTED = "rejected"


@dataclass(frozen=True)
class Conditions:
    """All given conditions must hold; an empty one always matches."""

    seal_types: frozenset[str] = frozenset()
    seal_kinds: frozenset[str] = frozenset()
    min_presses: int | None = None
    max_presses: int | None = None
    unit_ids: frozenset[uuid.UUID] = frozenset()

    @classmethod
    def from_json(cls, data: Mapping[str, Any] | None) -> Conditions:
        data = data or {}
        return cls(
            seal_types=frozenset(data.get("seal_types") or ()),
            seal_kinds=frozenset(data.get("seal_kinds") or ()),
            min_presses=data.get("min_presses"),
            max_presses=data.get("max_presses"),
            unit_ids=frozenset(uuid.UUID(str(u)) for u in data.get("unit_ids") or ()),
        )


@dataclass(frozen=True)
class ApproverSpec:
    kind: ApproverKind
    title: str | None = None
    role_id: uuid.UUID | None = None
    user_ids: tuple[uuid.UUID, ...] = ()

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> ApproverSpec:
        role = data.get("role_id")
        return cls(
            kind=ApproverKind(data["kind"]),
            title=data.get("title"),
            role_id=uuid.UUID(str(role)) if role else None,
            user_ids=tuple(uuid.UUID(str(u)) for u in data.get("user_ids") or ()),
        )


@dataclass(frozen=True)
class StepDef:
    name: str
    mode: FlowMode
    approver: ApproverSpec


@dataclass(frozen=True)
class FlowDef:
    id: uuid.UUID
    priority: int
    active: bool
    conditions: Conditions
    steps: tuple[StepDef, ...]


@dataclass(frozen=True)
class Subject:
    """What a flow's conditions look at."""

    seal_types: frozenset[str]
    seal_kinds: frozenset[str]
    total_presses: int
    unit_chain: tuple[uuid.UUID, ...]  # applicant's unit and its ancestors


@dataclass(frozen=True)
class ChainUnit:
    id: uuid.UUID
    supervisors: Mapping[str, Sequence[uuid.UUID]] = field(default_factory=dict)


@dataclass(frozen=True)
class Directory:
    """The facts approver resolution needs, gathered by the service."""

    applicant_id: uuid.UUID
    chain: tuple[ChainUnit, ...] = ()  # nearest first
    # role id -> [(user id, unit ids)] of active holders
    role_holders: Mapping[uuid.UUID, Sequence[tuple[uuid.UUID, frozenset[uuid.UUID]]]] = field(
        default_factory=dict
    )
    active_users: frozenset[uuid.UUID] = frozenset()
    keeper_ids: tuple[uuid.UUID, ...] = ()


def matches(flow: FlowDef, subject: Subject) -> bool:
    """Whether every condition of the flow holds for the application."""
    c = flow.conditions
    if c.seal_types and not subject.seal_types <= c.seal_types:
        return False
    if c.seal_kinds and not subject.seal_kinds <= c.seal_kinds:
        return False
    if c.min_presses is not None and subject.total_presses < c.min_presses:
        return False
    if c.max_presses is not None and subject.total_presses > c.max_presses:
        return False
    return not (c.unit_ids and not c.unit_ids & set(subject.unit_chain))


def select_flow(flows: Iterable[FlowDef], subject: Subject) -> FlowDef | None:
    """The active matching flow with the highest priority (ties: the oldest id)."""
    candidates = [f for f in flows if f.active and matches(f, subject)]
    if not candidates:
        return None
    return min(candidates, key=lambda f: (-f.priority, f.id))


def _unique(ids: Iterable[uuid.UUID]) -> list[uuid.UUID]:
    return list(dict.fromkeys(ids))


def candidates(spec: ApproverSpec, directory: Directory) -> list[uuid.UUID]:
    """Everyone the spec names, before separation of duties."""
    if spec.kind == ApproverKind.UNIT_SUPERVISOR:
        for unit in directory.chain:
            holders = list(unit.supervisors.get(spec.title or "", ()))
            if holders:
                return _unique(holders)
        return []
    if spec.kind in (ApproverKind.ROLE, ApproverKind.ROLE_IN_CHAIN):
        held: Sequence[tuple[uuid.UUID, frozenset[uuid.UUID]]] = (
            directory.role_holders.get(spec.role_id, ()) if spec.role_id else ()
        )
        if spec.kind == ApproverKind.ROLE:
            return _unique(uid for uid, _ in held)
        chain = {u.id for u in directory.chain}
        return _unique(uid for uid, units in held if units & chain)
    if spec.kind == ApproverKind.USERS:
        return _unique(u for u in spec.user_ids if u in directory.active_users)
    return _unique(directory.keeper_ids)


def resolve(spec: ApproverSpec, directory: Directory) -> list[uuid.UUID]:
    """The step's approvers: the applicant never approves their own application."""
    return [u for u in candidates(spec, directory) if u != directory.applicant_id]


def step_outcome(mode: FlowMode, statuses: Sequence[TaskStatus]) -> StepOutcome:
    """A step's result from its tasks' statuses (transferred/cancelled tasks do not count)."""
    live = [s for s in statuses if s not in (TaskStatus.TRANSFERRED, TaskStatus.CANCELLED)]
    if TaskStatus.REJECTED in live:
        return StepOutcome.REJECTED
    if mode == FlowMode.ANY:
        return StepOutcome.APPROVED if TaskStatus.APPROVED in live else StepOutcome.PENDING
    if live and all(s == TaskStatus.APPROVED for s in live):
        return StepOutcome.APPROVED
    return StepOutcome.PENDING
