"""The one lifecycle helper: table checks at definition, transitions, labels (property-tested)."""

from __future__ import annotations

from enum import StrEnum

import pytest
from hypothesis import given
from hypothesis import strategies as st

from sealhub.platform.lifecycle import Lifecycle, moves_from_targets


class Light(StrEnum):
    RED = "red"
    GREEN = "green"
    BROKEN = "broken"


class Act(StrEnum):
    GO = "go"
    STOP = "stop"
    BREAK = "break"
    HONK = "honk"


class BadMove(Exception):
    # a plain exception: an AppError subclass here would join the documented error catalogue
    def __init__(self, *, current: str, action: str) -> None:
        super().__init__(current, action)
        self.params = {"current": current, "action": action}


LIGHT = Lifecycle(
    "light",
    states={
        Light.RED: ("红", "Red", "danger"),
        Light.GREEN: ("绿", "Green", "success"),
        Light.BROKEN: ("坏", "Broken", "info"),
    },
    moves={
        (Light.RED, Act.GO): Light.GREEN,
        (Light.GREEN, Act.STOP): Light.RED,
        (Light.RED, Act.BREAK): Light.BROKEN,
        (Light.GREEN, Act.BREAK): Light.BROKEN,
    },
    error=BadMove,
    stays={Act.HONK: frozenset({Light.GREEN})},
)


@given(st.sampled_from(list(Light)), st.sampled_from(list(Act)))
def test_transition_follows_the_table_exactly(state: Light, act: Act) -> None:
    expected = {(s, a): d for (s, a), d in LIGHT.moves.items()}.get((state, act))
    if expected is None:
        with pytest.raises(BadMove) as info:
            LIGHT.transition(state, act)
        assert info.value.params == {"current": state.value, "action": act.value}
    else:
        assert LIGHT.transition(state, act) is expected
    stays = act in LIGHT.stays and state in LIGHT.stays[act]
    assert LIGHT.allowed(state, act) == (stays if act in LIGHT.stays else expected is not None)
    assert (act.value in LIGHT.actions_from(state)) == LIGHT.allowed(state, act)


def test_terminal_and_labels() -> None:
    assert LIGHT.terminal() == {Light.BROKEN}
    assert LIGHT.label("green", "en") == "Green" and LIGHT.label("green", "zh-CN") == "绿"
    assert [row["value"] for row in LIGHT.labels()] == ["red", "green", "broken"]
    with pytest.raises(BadMove):
        LIGHT.require("red", "honk")
    LIGHT.require("green", "honk")


def test_a_table_with_an_unlabelled_state_is_refused_at_definition() -> None:
    with pytest.raises(ValueError, match="no label"):
        Lifecycle("x", states={Light.RED: ("红", "Red", "danger")}, moves={}, error=BadMove)
    with pytest.raises(ValueError, match="colour"):
        Lifecycle(
            "x",
            states={s: ("a", "b", "pink") for s in Light},
            moves={},
            error=BadMove,
        )


def test_moves_from_targets() -> None:
    moves = moves_from_targets({Light.RED: {Light.GREEN}, Light.GREEN: set()})
    assert moves == {(Light.RED, Light.GREEN): Light.GREEN}
