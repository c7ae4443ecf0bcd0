"""The pure parts: the transition table, page lists and the flow engine (property tests)."""

from __future__ import annotations

import uuid

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sealhub.requests import flows as engine
from sealhub.requests import policy
from sealhub.requests.errors import InvalidRequestTransition
from sealhub.requests.flows import ApproverKind, ApproverSpec, FlowMode, StepOutcome
from sealhub.requests.policy import Action, RequestStatus, TaskStatus

uuids = st.uuids(version=4)
statuses = st.sampled_from(list(RequestStatus))
actions = st.sampled_from(list(Action))


# ---- lifecycle ----


@given(statuses, actions)
def test_transition_follows_the_table(current: RequestStatus, action: Action) -> None:
    target = policy.TRANSITIONS.get((current, action))
    if target is None:
        with pytest.raises(InvalidRequestTransition):
            policy.transition(current, action)
    else:
        assert policy.transition(current, action) == target


@given(st.lists(actions, max_size=12))
def test_no_walk_leaves_a_terminal_state_or_returns_to_draft(walk: list[Action]) -> None:
    status = RequestStatus.DRAFT
    for action in walk:
        nxt = policy.next_status(status, action)
        if nxt is None:
            continue
        assert status not in policy.TERMINAL
        assert nxt != RequestStatus.DRAFT
        status = nxt


def test_every_status_is_reachable_from_draft() -> None:
    seen, frontier = {RequestStatus.DRAFT}, [RequestStatus.DRAFT]
    while frontier:
        current = frontier.pop()
        for (src, _), dst in policy.TRANSITIONS.items():
            if src == current and dst not in seen:
                seen.add(dst)
                frontier.append(dst)
    assert seen == set(RequestStatus)


def test_decisions_only_in_review_or_live() -> None:
    assert policy.allowed(RequestStatus.IN_REVIEW, Action.DECIDE)
    assert not policy.allowed(RequestStatus.DRAFT, Action.DECIDE)
    assert not policy.allowed(RequestStatus.REJECTED, Action.DECIDE)
    with pytest.raises(InvalidRequestTransition):
        policy.require(RequestStatus.COMPLETED, Action.ADD_PRESSES)


# ---- page lists ----


@given(st.lists(st.integers(1, 500), min_size=1, max_size=20))
def test_parse_pages_round_trip(pages: list[int]) -> None:
    spec = ",".join(str(p) for p in pages)
    assert policy.parse_pages(spec) == sorted(set(pages))


@given(st.integers(1, 300), st.integers(0, 50))
def test_parse_ranges(lo: int, width: int) -> None:
    assert policy.parse_pages(f"{lo}-{lo + width}") == list(range(lo, lo + width + 1))
    assert policy.pages_within(f"{lo}-{lo + width}", lo + width)
    assert not policy.pages_within(f"{lo}-{lo + width}", lo + width - 1)


@pytest.mark.parametrize("bad", ["", "0", "3-1", "a", "1,,2", "-2", "1-x"])
def test_bad_page_lists(bad: str) -> None:
    with pytest.raises(ValueError):
        policy.parse_pages(bad)
    assert not policy.pages_within(bad, 100)


# ---- flow selection ----

seal_types = st.sets(st.sampled_from(["official", "contract", "finance", "hr"]), max_size=3)
seal_kinds = st.sets(st.sampled_from(["physical", "electronic", "smart"]), max_size=3)


@st.composite
def conditions(draw: st.DrawFn) -> engine.Conditions:
    lo = draw(st.none() | st.integers(0, 50))
    hi = draw(st.none() | st.integers(0, 100))
    return engine.Conditions(
        seal_types=frozenset(draw(seal_types)),
        seal_kinds=frozenset(draw(seal_kinds)),
        min_presses=lo,
        max_presses=hi,
    )


@st.composite
def flows(draw: st.DrawFn) -> engine.FlowDef:
    return engine.FlowDef(
        id=draw(uuids),
        priority=draw(st.integers(-5, 5)),
        active=draw(st.booleans()),
        conditions=draw(conditions()),
        steps=(),
    )


@st.composite
def subjects(draw: st.DrawFn) -> engine.Subject:
    return engine.Subject(
        seal_types=frozenset(draw(seal_types.filter(bool))),
        seal_kinds=frozenset(draw(seal_kinds.filter(bool))),
        total_presses=draw(st.integers(1, 120)),
        unit_chain=(),
    )


@given(st.lists(flows(), max_size=8), subjects())
def test_selected_flow_matches_and_has_top_priority(
    candidates: list[engine.FlowDef], subject: engine.Subject
) -> None:
    chosen = engine.select_flow(candidates, subject)
    eligible = [f for f in candidates if f.active and engine.matches(f, subject)]
    if not eligible:
        assert chosen is None
        return
    assert chosen is not None and chosen.active and engine.matches(chosen, subject)
    assert chosen.priority == max(f.priority for f in eligible)
    # order of definition does not matter
    assert engine.select_flow(list(reversed(candidates)), subject) == chosen


@given(subjects())
def test_empty_conditions_match_everything(subject: engine.Subject) -> None:
    flow = engine.FlowDef(uuid.uuid4(), 0, True, engine.Conditions(), ())
    assert engine.matches(flow, subject)


def test_unit_condition_matches_the_chain() -> None:
    branch, dept = uuid.uuid4(), uuid.uuid4()
    flow = engine.FlowDef(
        uuid.uuid4(), 0, True, engine.Conditions(unit_ids=frozenset({branch})), ()
    )
    inside = engine.Subject(frozenset({"contract"}), frozenset({"physical"}), 1, (dept, branch))
    outside = engine.Subject(frozenset({"contract"}), frozenset({"physical"}), 1, (dept,))
    assert engine.matches(flow, inside) and not engine.matches(flow, outside)


# ---- approver resolution ----


@st.composite
def directories(draw: st.DrawFn) -> tuple[engine.Directory, list[uuid.UUID]]:
    people = draw(st.lists(uuids, min_size=1, max_size=8, unique=True))
    applicant = draw(st.sampled_from(people))
    units = draw(st.lists(uuids, min_size=1, max_size=4, unique=True))
    pick = st.lists(st.sampled_from(people), max_size=4)
    chain = tuple(engine.ChainUnit(u, {"负责人": draw(pick)}) for u in units)
    role = uuid.UUID(int=7)
    holders = [(p, frozenset(draw(st.lists(st.sampled_from(units), max_size=2)))) for p in people]
    directory = engine.Directory(
        applicant_id=applicant,
        chain=chain,
        role_holders={role: draw(st.lists(st.sampled_from(holders), max_size=6))},
        active_users=frozenset(draw(st.lists(st.sampled_from(people)))),
        keeper_ids=tuple(draw(pick)),
    )
    return directory, people


specs = st.sampled_from(
    [
        ApproverSpec(ApproverKind.UNIT_SUPERVISOR, title="负责人"),
        ApproverSpec(ApproverKind.ROLE, role_id=uuid.UUID(int=7)),
        ApproverSpec(ApproverKind.ROLE_IN_CHAIN, role_id=uuid.UUID(int=7)),
        ApproverSpec(ApproverKind.SEAL_KEEPER),
    ]
)


@settings(max_examples=200)
@given(directories(), specs)
def test_applicant_never_resolved(
    built: tuple[engine.Directory, list[uuid.UUID]], spec: ApproverSpec
) -> None:
    directory, _ = built
    resolved = engine.resolve(spec, directory)
    assert directory.applicant_id not in resolved
    assert len(resolved) == len(set(resolved))
    assert set(resolved) <= set(engine.candidates(spec, directory))


@given(directories())
def test_named_users_only_if_active(built: tuple[engine.Directory, list[uuid.UUID]]) -> None:
    directory, people = built
    spec = ApproverSpec(ApproverKind.USERS, user_ids=tuple(people))
    resolved = engine.resolve(spec, directory)
    assert set(resolved) == set(directory.active_users) - {directory.applicant_id}


@given(directories())
def test_supervisor_is_the_nearest_unit_with_the_title(
    built: tuple[engine.Directory, list[uuid.UUID]],
) -> None:
    directory, _ = built
    spec = ApproverSpec(ApproverKind.UNIT_SUPERVISOR, title="负责人")
    nearest = next((u for u in directory.chain if u.supervisors.get("负责人")), None)
    got = engine.candidates(spec, directory)
    assert got == (list(dict.fromkeys(nearest.supervisors["负责人"])) if nearest else [])


def test_role_in_chain_excludes_holders_outside() -> None:
    a, b, c, unit, other = (uuid.uuid4() for _ in range(5))
    role = uuid.uuid4()
    directory = engine.Directory(
        applicant_id=a,
        chain=(engine.ChainUnit(unit),),
        role_holders={
            role: [(a, frozenset({unit})), (b, frozenset({unit})), (c, frozenset({other}))]
        },
    )
    assert engine.resolve(ApproverSpec(ApproverKind.ROLE_IN_CHAIN, role_id=role), directory) == [b]
    assert engine.resolve(ApproverSpec(ApproverKind.ROLE, role_id=role), directory) == [b, c]


# ---- step completion ----

task_statuses = st.lists(st.sampled_from(list(TaskStatus)), max_size=8)


@given(task_statuses)
def test_step_outcome(statuses_: list[TaskStatus]) -> None:
    live = [s for s in statuses_ if s not in (TaskStatus.TRANSFERRED, TaskStatus.CANCELLED)]
    any_ = engine.step_outcome(FlowMode.ANY, statuses_)
    all_ = engine.step_outcome(FlowMode.ALL, statuses_)
    if TaskStatus.REJECTED in live:
        assert any_ == all_ == StepOutcome.REJECTED
        return
    assert (any_ == StepOutcome.APPROVED) == (TaskStatus.APPROVED in live)
    assert (all_ == StepOutcome.APPROVED) == (bool(live) and set(live) == {TaskStatus.APPROVED})
    # all-must never completes before any-one would
    if all_ == StepOutcome.APPROVED:
        assert any_ == StepOutcome.APPROVED


def test_enum_labels_cover_every_value() -> None:
    from sealhub.requests.schemas import enum_labels

    labels = enum_labels()
    assert [x["value"] for x in labels["request_status"]] == [s.value for s in RequestStatus]
    assert [x["value"] for x in labels["task_status"]] == [s.value for s in TaskStatus]
    assert {x["value"] for x in labels["approver_kind"]} == {k.value for k in ApproverKind}
    assert {x["value"] for x in labels["flow_mode"]} == {"any", "all"}
    assert {x["value"] for x in labels["urgency"]} == {"normal", "urgent"}
    colors = {"info", "warning", "success", "danger", "primary"}
    assert all(x["zh"] and x["en"] and x["color"] in colors for v in labels.values() for x in v)
