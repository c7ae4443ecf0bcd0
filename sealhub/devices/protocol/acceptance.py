"""The acceptance rules (§5): replay, out of order beyond the window, stale by time.

A small pure state machine, one per (device, direction), used by the platform's ingest, the
simulator (for downlinks) and the conformance kit. It never reads a clock: callers pass now.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from enum import StrEnum

UP_WINDOW = 64
# downlink seq is the platform's clock in microseconds (§5.4): a window of 300 s
DOWN_WINDOW = 300_000_000
MAX_AGE_MS = 300_000
MAX_AHEAD_MS = 60_000


class Verdict(StrEnum):
    ACCEPTED = "accepted"
    REPLAY = "replay"
    TOO_OLD = "too_old"
    STALE = "stale"


@dataclass
class Acceptance:
    """Highest seq accepted and the seqs seen within the window below it."""

    window: int = UP_WINDOW
    max_age_ms: int = MAX_AGE_MS
    max_ahead_ms: int = MAX_AHEAD_MS
    highest: int = 0
    seen: set[int] = field(default_factory=set)
    rejected: Counter[str] = field(default_factory=Counter)

    def check(self, seq: int, ts: int, now_ms: int) -> Verdict:
        """What `accept` would say, without changing anything."""
        if ts < now_ms - self.max_age_ms or ts > now_ms + self.max_ahead_ms:
            return Verdict.STALE
        if seq <= self.highest - self.window:
            return Verdict.TOO_OLD
        if seq in self.seen:
            return Verdict.REPLAY
        return Verdict.ACCEPTED

    def accept(self, seq: int, ts: int, now_ms: int) -> Verdict:
        """Accept (and remember) the message or count why not."""
        verdict = self.check(seq, ts, now_ms)
        if verdict is not Verdict.ACCEPTED:
            self.rejected[verdict.value] += 1
            return verdict
        self.seen.add(seq)
        if seq > self.highest:
            self.highest = seq
            floor = seq - self.window
            # prune lazily: the set stays O(window) for uplinks, O(messages in 300 s) down
            if len(self.seen) > 2 * min(self.window, 4096):
                self.seen = {s for s in self.seen if s > floor}
        return verdict

    def snapshot(self) -> tuple[int, list[int]]:
        """What to persist: (highest, seen seqs still inside the window)."""
        floor = self.highest - self.window
        return self.highest, sorted(s for s in self.seen if s > floor)

    @classmethod
    def restore(cls, highest: int, seen: list[int], *, window: int = UP_WINDOW) -> Acceptance:
        return cls(window=window, highest=highest, seen=set(seen))


def up() -> Acceptance:
    return Acceptance(window=UP_WINDOW)


def down() -> Acceptance:
    return Acceptance(window=DOWN_WINDOW)
