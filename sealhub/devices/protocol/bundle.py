"""Offline bundles (§8): a device-signed export of its journal, and the full verifier.

A bundle is JSON Lines: a signed header, then one canonical record per line. The verifier
reports the FIRST failure with its 0-based record position and 1-based line number, so an
import can say exactly where a bundle was tampered with, truncated, re-ordered or forged.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import orjson

from sealhub.devices.protocol import messages as m
from sealhub.devices.protocol.codec import ProtocolError, canonical, decode_record, to_body
from sealhub.devices.protocol.journal import record_hash
from sealhub.devices.protocol.signing import Signer, Verifier

FORMAT = "sealhub.bundle"
MAX_BUNDLE = 64 * 1024 * 1024


@dataclass(frozen=True, slots=True)
class Header(m.Body):
    format: str
    v: int
    device: str
    first: int
    last: int
    count: int
    base: str
    head: str
    exported_at: int
    sig: str


@dataclass(frozen=True, slots=True)
class Bundle:
    header: Header
    records: tuple[m.Record, ...]


class BundleError(ValueError):
    """Why a bundle was rejected: `reason` (stable code), `position` (0-based record index,
    None for the header), `line` (1-based)."""

    REASONS = (
        "malformed",
        "foreign",
        "bad_signature",
        "order",
        "chain",
        "truncated",
        "extra",
        "too_large",
    )

    def __init__(self, reason: str, detail: str, *, position: int | None, line: int) -> None:
        where = "header" if position is None else f"record {position}"
        super().__init__(f"{reason} at {where} (line {line}): {detail}")
        self.reason = reason
        self.detail = detail
        self.position = position
        self.line = line


def export(
    records: Sequence[m.Record], *, device: str, signer: Signer, now_ms: int, head: str
) -> bytes:
    """The bundle of `records` (consecutive, in order); `head` is the journal's head hash
    when `records` is empty."""
    if records:
        first, last = records[0].n, records[-1].n
        base, head = records[0].prev, record_hash(records[-1])
    else:
        first, last, base = 0, -1, head
    fields = {
        "format": FORMAT,
        "v": m.VERSION,
        "device": device,
        "first": first,
        "last": last,
        "count": len(records),
        "base": base,
        "head": head,
        "exported_at": now_ms,
    }
    fields["sig"] = signer.sign(canonical(fields))
    lines = [canonical(fields), *(canonical(r) for r in records)]
    return b"\n".join(lines) + b"\n"


KeyLookup = Callable[[str], Verifier | None]


def verify_bundle(data: bytes, keys: KeyLookup, *, device: str | None = None) -> Bundle:
    """The verified bundle, or `BundleError` at the first failure (§8.2).

    `keys(serial)` returns the registered key of a device of the importing organisation, or
    None (then the bundle is `foreign`); `device`, when given, is the serial it must name.
    """
    if len(data) > MAX_BUNDLE:
        raise BundleError("too_large", f"{len(data)} bytes", position=None, line=1)
    lines = data.split(b"\n")
    complete = data.endswith(b"\n")
    if complete:
        lines.pop()
    if not lines or not lines[0]:
        raise BundleError("malformed", "empty bundle", position=None, line=1)
    try:
        raw = orjson.loads(lines[0])
        header: Header = to_body(Header, raw, "header")
    except (orjson.JSONDecodeError, ProtocolError) as exc:
        raise BundleError("malformed", f"header: {exc}", position=None, line=1) from None
    if header.format != FORMAT or header.v != m.VERSION:
        raise BundleError("malformed", "not a v1 bundle", position=None, line=1)
    if device is not None and header.device != device:
        raise BundleError("foreign", f"bundle of {header.device}", position=None, line=1)
    verifier = keys(header.device)
    if verifier is None:
        raise BundleError("foreign", f"unknown device {header.device}", position=None, line=1)
    unsigned = dict(raw)
    unsigned.pop("sig")
    if not verifier.verify(canonical(unsigned), header.sig):
        raise BundleError("bad_signature", "header signature", position=None, line=1)

    records: list[m.Record] = []
    prev = header.base
    for pos, line in enumerate(lines[1:]):
        lineno = pos + 2
        try:
            record = decode_record(orjson.loads(line))
        except (orjson.JSONDecodeError, ProtocolError) as exc:
            if pos == len(lines) - 2 and not complete:
                raise BundleError(
                    "truncated", "the last line is cut", position=pos, line=lineno
                ) from None
            raise BundleError("malformed", str(exc), position=pos, line=lineno) from None
        if pos >= header.count:
            raise BundleError("extra", f"header declares {header.count}", position=pos, line=lineno)
        expected_n = header.first + pos
        if record.n != expected_n:
            raise BundleError(
                "order", f"expected n={expected_n}, found n={record.n}", position=pos, line=lineno
            )
        if record.prev != prev:
            # record pos-1 no longer hashes to this link (or the first record's link to base)
            at = max(pos - 1, 0) if pos else 0
            raise BundleError(
                "chain",
                f"record n={record.n - 1 if pos else record.n} does not match the chain",
                position=at,
                line=at + 2,
            )
        prev = record_hash(record)
        records.append(record)
    if len(records) < header.count:
        raise BundleError(
            "truncated",
            f"{len(records)} of {header.count} records",
            position=len(records),
            line=len(records) + 2,
        )
    if records and prev != header.head:
        last = len(records) - 1
        raise BundleError(
            "chain", "the last record does not match the head", position=last, line=last + 2
        )
    if records and header.last != records[-1].n:
        raise BundleError("malformed", "header last does not match", position=None, line=1)
    return Bundle(header, tuple(records))
