"""Acceptance rules (§5): the windowed state machine against a reference that remembers all."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from sealhub.devices.protocol.acceptance import Acceptance, Verdict

NOW = 1_790_000_000_000


@settings(max_examples=150, deadline=None)
@given(st.lists(st.integers(1, 400), max_size=300), st.sampled_from([1, 8, 64]))
def test_window_state_machine_matches_the_reference(seqs: list[int], window: int) -> None:
    acc = Acceptance(window=window)
    accepted: set[int] = set()
    highest = 0
    for seq in seqs:
        if seq <= highest - window:
            expected = Verdict.TOO_OLD
        elif seq in accepted:
            expected = Verdict.REPLAY
        else:
            expected = Verdict.ACCEPTED
        assert acc.check(seq, NOW, NOW) is expected
        assert acc.accept(seq, NOW, NOW) is expected
        if expected is Verdict.ACCEPTED:
            accepted.add(seq)
            highest = max(highest, seq)
    # every rejection was counted, by reason
    assert sum(acc.rejected.values()) == len(seqs) - len(accepted)
    # a restored snapshot decides the same as the live state
    restored = Acceptance.restore(*acc.snapshot(), window=window)
    for seq in range(1, 420):
        assert restored.check(seq, NOW, NOW) is acc.check(seq, NOW, NOW)


@settings(max_examples=100, deadline=None)
@given(st.integers(-(10**7), 10**7))
def test_stale_and_future_messages_are_rejected_and_change_nothing(skew: int) -> None:
    acc = Acceptance()
    verdict = acc.accept(1, NOW + skew, NOW)
    fresh = -300_000 <= skew <= 60_000
    assert verdict is (Verdict.ACCEPTED if fresh else Verdict.STALE)
    assert acc.highest == (1 if fresh else 0)
    assert acc.rejected["stale"] == (0 if fresh else 1)


def test_reordering_within_the_window_is_fine_beyond_it_is_not() -> None:
    acc = Acceptance(window=64)
    assert acc.accept(100, NOW, NOW) is Verdict.ACCEPTED
    assert acc.accept(40, NOW, NOW) is Verdict.ACCEPTED  # 100 - 64 < 40
    assert acc.accept(36, NOW, NOW) is Verdict.TOO_OLD
    assert acc.accept(40, NOW, NOW) is Verdict.REPLAY
    assert dict(acc.rejected) == {"too_old": 1, "replay": 1}
