"""The device journal (§7): numbered, hash-chained records kept until acknowledged.

`Journal` is the device's side (append, acknowledge, what to resend, export); `ChainTracker`
is the platform's side (deduplicate by number, verify the chain, report gaps).
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass, field
from enum import StrEnum
from typing import cast

from sealhub.devices.protocol import messages as m
from sealhub.devices.protocol.codec import encode_record


def record_hash(record: m.Record) -> str:
    """SHA-256 (hex) of the record's canonical bytes."""
    return hashlib.sha256(encode_record(record)).hexdigest()


@dataclass
class Journal:
    """A device's journal: `kept` holds, in order, every record from the first one not yet
    acknowledged (acknowledged ones after it are in `acked` and are not resent).

    `keep_acked=True` is the no-upload edition: nothing is ever dropped, so the whole journal
    can be exported as a bundle.
    """

    next_n: int = 1
    head: str = m.ZERO_HASH
    kept: list[m.Record] = field(default_factory=list)
    acked: set[int] = field(default_factory=set)
    keep_acked: bool = False

    def append(self, data: m.Body, at: int) -> m.Record:
        kind = cast(m.RecordType, m.record_type(data))
        record = m.Record(n=self.next_n, prev=self.head, at=at, type=kind, data=data)
        self.head = record_hash(record)
        self.next_n += 1
        self.kept.append(record)
        return record

    def acknowledge(self, ns: Iterable[int]) -> int:
        """Mark records stored by the platform; returns how many were newly acknowledged."""
        known = {r.n for r in self.kept}
        new = (set(ns) & known) - self.acked
        self.acked |= new
        if not self.keep_acked:
            # drop only the acknowledged prefix: what is kept stays one consecutive, chained
            # run (so it can always be exported as a bundle)
            drop = 0
            while drop < len(self.kept) and self.kept[drop].n in self.acked:
                self.acked.discard(self.kept[drop].n)
                drop += 1
            del self.kept[:drop]
        return len(new)

    def acknowledge_upto(self, upto: int) -> int:
        return self.acknowledge(r.n for r in self.kept if r.n <= upto)

    def unacked(self) -> list[m.Record]:
        """What to resend after a welcome (§7.2), in order."""
        return [r for r in self.kept if r.n not in self.acked]


class Link(StrEnum):
    NEW = "new"  # the next record, chain verified
    DUPLICATE = "duplicate"  # already stored: acknowledge again, store nothing
    GAP = "gap"  # records missing before it: stored, gap reported
    BROKEN = "broken"  # prev does not match the stored predecessor's hash


@dataclass
class ChainTracker:
    """The platform's view of one device's chain: the last stored record's number and hash."""

    last_n: int = 0
    last_hash: str = m.ZERO_HASH
    stored: set[int] = field(default_factory=set)  # numbers stored above last_n (out of order)
    hashes: dict[int, str] = field(default_factory=dict)

    def classify(self, record: m.Record) -> Link:
        n = record.n
        if n <= self.last_n or n in self.stored:
            return Link.DUPLICATE
        if n == self.last_n + 1:
            return Link.NEW if record.prev == self.last_hash else Link.BROKEN
        before = self.hashes.get(n - 1)
        if before is not None and record.prev != before:
            return Link.BROKEN
        return Link.GAP

    def store(self, record: m.Record) -> None:
        """Remember a record as durably stored."""
        h = record_hash(record)
        self.stored.add(record.n)
        self.hashes[record.n] = h
        while self.last_n + 1 in self.stored:
            self.last_n += 1
            self.stored.discard(self.last_n)
            self.last_hash = self.hashes.pop(self.last_n)

    def gaps(self) -> list[tuple[int, int]]:
        """Missing ranges (first, last) below the highest number stored."""
        out: list[tuple[int, int]] = []
        expect = self.last_n + 1
        for n in sorted(self.stored):
            if n > expect:
                out.append((expect, n - 1))
            expect = n + 1
        return out
