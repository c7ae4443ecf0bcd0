"""The journal chain (§7) and offline bundles (§8): each kind of damage found at its position."""

from __future__ import annotations

import random

import orjson
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sealhub.devices.protocol import bundle as bundles
from sealhub.devices.protocol import messages as m
from sealhub.devices.protocol.journal import ChainTracker, Journal, Link, record_hash
from sealhub.devices.protocol.signing import Signer, Verifier

SERIAL = "SH-JOURNAL-1"
DEVICE = Signer.from_seed(b"\x11" * 32)
STRANGER = Signer.from_seed(b"\x22" * 32)
NOW = 1_790_000_000_000


def _stamp(i: int) -> m.StampData:
    return m.StampData(
        auth="auth-1",
        item="item-1",
        person=f"member-{i % 3}",
        fp_slot=None,
        location=m.Location(src="gps", lat_e7=311234567, lon_e7=1214567890, acc_m=5),
        photos=(f"{i:064x}",),
        presses_left=100 - i,
        emergency=False,
    )


def _journal(n: int, *, keep_acked: bool = True) -> Journal:
    journal = Journal(keep_acked=keep_acked)
    for i in range(n):
        data: m.Body = (
            _stamp(i) if i % 4 else m.AlarmData(code="tamper", detail="", auth=None, person=None)
        )
        journal.append(data, NOW + i)
    return journal


def _keys(serial: str) -> Verifier | None:
    return DEVICE.verifier() if serial == SERIAL else None


def _bundle(n: int = 8) -> bytes:
    journal = _journal(n)
    return bundles.export(journal.kept, device=SERIAL, signer=DEVICE, now_ms=NOW, head=journal.head)


@settings(max_examples=50, deadline=None)
@given(st.integers(1, 30), st.randoms(use_true_random=False))
def test_chain_tracker_dedupes_and_reports_gaps(n: int, rnd: random.Random) -> None:
    journal = _journal(n, keep_acked=False)
    records = list(journal.kept)
    deliveries = records + rnd.sample(records, k=min(n, 5))  # resends
    rnd.shuffle(deliveries)
    tracker = ChainTracker()
    stored: list[int] = []
    for record in deliveries:
        link = tracker.classify(record)
        assert link is not Link.BROKEN
        if link is Link.DUPLICATE:
            assert record.n in stored
            continue
        assert record.n not in stored
        tracker.store(record)
        stored.append(record.n)
        missing = set(range(1, max(stored) + 1)) - set(stored)
        assert {x for a, b in tracker.gaps() for x in range(a, b + 1)} == missing
    assert sorted(stored) == list(range(1, n + 1))  # each exactly once
    assert tracker.last_n == n and tracker.last_hash == journal.head
    assert tracker.gaps() == []


def test_chain_tracker_catches_a_changed_record() -> None:
    journal = _journal(3)
    tracker = ChainTracker()
    tracker.store(journal.kept[0])
    forged = m.Record(n=2, prev="f" * 64, at=NOW, type="lock", data=m.LockData(reason="manual"))
    assert tracker.classify(forged) is Link.BROKEN
    assert tracker.classify(journal.kept[1]) is Link.NEW


def test_journal_keeps_until_acknowledged_and_resends_in_order() -> None:
    journal = _journal(6, keep_acked=False)
    assert [r.n for r in journal.unacked()] == [1, 2, 3, 4, 5, 6]
    assert journal.acknowledge([2, 5, 99]) == 2
    assert [r.n for r in journal.unacked()] == [1, 3, 4, 6]
    assert journal.acknowledge([2]) == 0
    assert journal.acknowledge_upto(4) == 3  # 1, 3 and 4
    assert [r.n for r in journal.unacked()] == [6]
    # the chain continues over dropped records
    record = journal.append(m.LockData(reason="used_up"), NOW)
    assert record.n == 7 and record.prev == record_hash(journal.kept[0])


def test_a_good_bundle_verifies() -> None:
    verified = bundles.verify_bundle(_bundle(8), _keys, device=SERIAL)
    assert verified.header.count == 8 and len(verified.records) == 8
    assert [r.n for r in verified.records] == list(range(1, 9))
    empty = Journal()
    data = bundles.export([], device=SERIAL, signer=DEVICE, now_ms=NOW, head=empty.head)
    assert bundles.verify_bundle(data, _keys).records == ()


def _lines(data: bytes) -> list[bytes]:
    return data.rstrip(b"\n").split(b"\n")


def _join(lines: list[bytes]) -> bytes:
    return b"\n".join(lines) + b"\n"


def _tamper(pos: int) -> bytes:
    lines = _lines(_bundle(8))
    doc = orjson.loads(lines[pos + 1])
    doc["at"] += 1  # any field: the record no longer hashes to the next one's prev
    lines[pos + 1] = orjson.dumps(doc, option=orjson.OPT_SORT_KEYS)
    return _join(lines)


def _swap(i: int, j: int) -> bytes:
    lines = _lines(_bundle(8))
    lines[i + 1], lines[j + 1] = lines[j + 1], lines[i + 1]
    return _join(lines)


def _drop_tail(k: int) -> bytes:
    return _join(_lines(_bundle(8))[:-k])


def _foreign() -> bytes:
    journal = _journal(3)
    return bundles.export(
        journal.kept, device="SH-OTHER-9", signer=STRANGER, now_ms=NOW, head=journal.head
    )


def _resigned_by_stranger() -> bytes:
    journal = _journal(3)
    return bundles.export(
        journal.kept, device=SERIAL, signer=STRANGER, now_ms=NOW, head=journal.head
    )


def _header_count_changed() -> bytes:
    lines = _lines(_bundle(8))
    doc = orjson.loads(lines[0])
    doc["count"] = 7
    lines[0] = orjson.dumps(doc, option=orjson.OPT_SORT_KEYS)
    return _join(lines)


def _spliced() -> bytes:
    # a record of another journal (same numbering) put in the middle
    lines = _lines(_bundle(8))
    other = Journal()
    for i in range(8):
        other.append(_stamp(i + 50), NOW + 1000 + i)
    lines[5] = orjson.dumps(other.kept[4], option=orjson.OPT_SORT_KEYS)
    return _join(lines)


@pytest.mark.parametrize(
    ("make", "reason", "position"),
    [
        (lambda: _tamper(0), "chain", 0),
        (lambda: _tamper(3), "chain", 3),
        (lambda: _tamper(7), "chain", 7),  # the last one: caught by the head
        (lambda: _swap(2, 5), "order", 2),
        (lambda: _swap(6, 7), "order", 6),
        (lambda: _drop_tail(2), "truncated", 6),
        (lambda: _bundle(8)[:-40], "truncated", 7),  # cut inside the last line
        (_foreign, "foreign", None),
        (_resigned_by_stranger, "bad_signature", None),
        (_header_count_changed, "bad_signature", None),
        (_spliced, "chain", 3),
        (lambda: b"", "malformed", None),
        (lambda: _bundle(8).replace(b"\n", b"\n{", 1), "malformed", 0),
    ],
    ids=[
        "tamper-first",
        "tamper-middle",
        "tamper-last",
        "reorder",
        "reorder-tail",
        "truncated-records",
        "truncated-bytes",
        "foreign",
        "resigned",
        "header-changed",
        "spliced",
        "empty",
        "garbage-line",
    ],
)
def test_each_kind_of_damage_is_rejected_with_its_position(
    make: object, reason: str, position: int | None
) -> None:
    data = make()  # type: ignore[operator]
    with pytest.raises(bundles.BundleError) as err:
        bundles.verify_bundle(data, _keys, device=SERIAL)
    assert (err.value.reason, err.value.position) == (reason, position), str(err.value)
    if position is not None:
        assert err.value.line == position + 2


@settings(max_examples=40, deadline=None)
@given(st.data())
def test_any_changed_byte_in_a_bundle_is_rejected(data: st.DataObject) -> None:
    raw = bytearray(_bundle(5))
    pos = data.draw(st.integers(0, len(raw) - 2))  # the final newline aside
    raw[pos] = data.draw(st.integers(0x20, 0x7E).filter(lambda b: b != raw[pos]))
    try:
        bundles.verify_bundle(bytes(raw), _keys, device=SERIAL)
    except bundles.BundleError:
        return
    raise AssertionError(f"byte {pos} changed and the bundle still verified")
