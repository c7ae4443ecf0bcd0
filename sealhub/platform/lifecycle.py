"""One shape for every lifecycle: states with zh/en labels and colours, one transition table.

    SEAL = Lifecycle(
        "seal_status",
        states={SealStatus.ACTIVE: ("在用", "Active", "success"), ...},
        moves={(SealStatus.ACTIVE, SealAction.SUSPEND): SealStatus.SUSPENDED, ...},
        error=InvalidSealTransition,
    )
    seal.status = SEAL.transition(seal.status, SealAction.SUSPEND)

Seals, applications, members, and next device commands, firmware roll-outs, alerts and
signing jobs use it; `/api/v1/meta/enums` serves `labels()` so the console never restates them.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, Generic, TypeVar

from sealhub.platform import i18n

S = TypeVar("S", bound=StrEnum)
A = TypeVar("A", bound=StrEnum)

# (zh, en, console tag colour: an Element Plus tag type)
Label = tuple[str, str, str]
COLOURS = frozenset({"success", "warning", "info", "danger", "primary", ""})


@dataclass(frozen=True)
class Lifecycle(Generic[S, A]):
    """A state machine: `moves` change the state, `stays` are actions allowed in some states
    that keep it (e.g. "add presses" while approved or in use)."""

    name: str
    states: Mapping[S, Label]
    moves: Mapping[tuple[S, A], S]
    error: Callable[..., Exception]
    stays: Mapping[A, frozenset[S]] = field(default_factory=dict)
    _index: dict[tuple[str, str], S] = field(init=False, repr=False, compare=False)
    _stays: dict[str, frozenset[str]] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        kinds = {type(s) for s in self.states}
        if len(kinds) != 1:
            raise TypeError(f"{self.name}: states of one enum expected, got {kinds}")
        (enum,) = kinds
        missing = set(enum) - set(self.states)
        if missing:
            raise ValueError(f"{self.name}: no label for {sorted(missing)}")
        for (src, _), dst in self.moves.items():
            if src not in self.states or dst not in self.states:
                raise ValueError(f"{self.name}: move between unknown states {src} -> {dst}")
        for colour in (c for _, _, c in self.states.values()):
            if colour not in COLOURS:
                raise ValueError(f"{self.name}: unknown colour {colour!r}")
        # plain-string index: hot paths look moves up with the stored column values
        index = {(str(src), str(act)): dst for (src, act), dst in self.moves.items()}
        stays = {str(act): frozenset(str(s) for s in states) for act, states in self.stays.items()}
        object.__setattr__(self, "_index", index)
        object.__setattr__(self, "_stays", stays)

    @property
    def state_type(self) -> type[S]:
        return type(next(iter(self.states)))

    def next(self, current: str, action: str) -> S | None:
        """Where `action` leads from `current`, or None when the table forbids it."""
        self.state_type(current)  # an unknown state is a bug, not a refusal
        found: S | None = self._index.get((str(current), str(action)))
        return found

    def allowed(self, current: str, action: str) -> bool:
        states: frozenset[str] | None = self._stays.get(str(action))
        if states is not None:
            return str(current) in states
        return self.next(current, action) is not None

    def transition(self, current: str, action: str) -> S:
        """The new state, or this lifecycle's error (409) when the table forbids it."""
        target = self.next(current, action)
        if target is None:
            raise self.error(current=str(current), action=str(action))
        return target

    def require(self, current: str, action: str) -> None:
        """Raise this lifecycle's error unless `action` is allowed while `current`."""
        if not self.allowed(current, action):
            raise self.error(current=str(current), action=str(action))

    def actions_from(self, current: str) -> list[str]:
        """Every action allowed in `current` (moves and stays), e.g. for the console's buttons."""
        state = self.state_type(current)
        moves = [str(act) for (src, act) in self.moves if src == state]
        stays = [str(act) for act, states in self.stays.items() if state in states]
        return sorted(set(moves + stays))

    def terminal(self) -> frozenset[S]:
        """States no move leaves."""
        sources = {src for src, _ in self.moves}
        return frozenset(s for s in self.states if s not in sources)

    def label(self, state: str, locale: str = "zh") -> str:
        zh, en, _ = self.states[self.state_type(state)]
        return i18n.label(zh, en, locale)

    def labels(self) -> list[dict[str, Any]]:
        """`[{value, zh, en, color}]` in declaration order, as `/meta/enums` serves them."""
        return i18n.label_table(self.states)


def moves_from_targets(table: Mapping[S, Iterable[S]]) -> dict[tuple[S, S], S]:
    """For lifecycles whose actions are their target states (`suspend` = go to suspended)."""
    return {(src, dst): dst for src, targets in table.items() for dst in targets}
