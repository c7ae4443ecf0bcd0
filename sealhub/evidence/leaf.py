"""What a leaf is: the RFC 8785 canonical JSON of one fact, and the hook that appends it.

`platform.db.appends` calls `audit_entry` / `event_entry` for every audit entry and outbox
event it queues (registered in `models.py`, which every process loads), so the evidence row
goes out in the same executemany batch and the same transaction: a committed fact always
has its leaf, a rolled-back one never. The request path pays one canonicalisation and one
SHA-256 per fact (~40 µs); leaf indexes, subtree hashes and signatures are the integrator's
work (`integrator.py`).
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

import orjson
import rfc8785

from sealhub.evidence.verifier.merkle import leaf_hash
from sealhub.platform import clock
from sealhub.platform.ids import new_id

LEAF_VERSION = 1
# audit entries and events written outside any organisation go into the platform's own tree
PLATFORM_ORG = uuid.UUID(int=0)
AUDIT_FIELDS = (
    "actor_id",
    "actor_name",
    "api_key_id",
    "action",
    "target_type",
    "target_id",
    "ip",
    "client",
    "summary",
    "summary_en",
    "before",
    "after",
)


def _s(value: Any) -> Any:
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, datetime):
        return clock.aware(value).astimezone(UTC).isoformat()
    return value


def audit_fact(row: dict[str, Any]) -> dict[str, Any]:
    """The fact of one audit entry, from its row (as written, or as read back)."""
    fact = {"v": LEAF_VERSION, "kind": "audit", "id": _s(row["id"]), "org": _s(row["org_id"])}
    fact["at"] = _s(row["at"])
    for name in AUDIT_FIELDS:
        fact[name] = _s(row.get(name))
    return fact


def event_fact(row: dict[str, Any]) -> dict[str, Any]:
    return {
        "v": LEAF_VERSION,
        "kind": "event",
        "id": _s(row["id"]),
        "org": _s(row["org_id"]),
        "at": _s(row["created_at"]),
        "name": row["name"],
        "payload": row["payload"],
    }


_SAFE_INT = 2**53


def _plain(value: Any) -> bool:
    """True when orjson's sorted output is byte for byte RFC 8785: no floats, ints a double
    holds exactly, ASCII keys (UTF-8 and UTF-16 orders agree), no lone surrogates."""
    if isinstance(value, str):
        return True
    if value is None or isinstance(value, bool):
        return True
    if isinstance(value, int):
        return -_SAFE_INT < value < _SAFE_INT
    if isinstance(value, dict):
        return all(isinstance(k, str) and k.isascii() and _plain(v) for k, v in value.items())
    if isinstance(value, list | tuple):
        return all(_plain(v) for v in value)
    return False


def canonical(fact: dict[str, Any]) -> bytes:
    """RFC 8785 (JCS) bytes of a fact. The usual fact takes orjson's sorted-keys output,
    which is identical for such values (a property test checks it against `rfc8785`) and
    ~40× faster; anything else goes through the `rfc8785` package."""
    if _plain(fact):
        try:
            return orjson.dumps(fact, option=orjson.OPT_SORT_KEYS)
        except TypeError:  # e.g. a lone surrogate, which orjson refuses
            pass
    return rfc8785.dumps(fact)


def _entry(kind: str, row: dict[str, Any], fact: dict[str, Any], subject: Any) -> dict[str, Any]:
    data = canonical(fact)
    return {
        "id": new_id(),
        "org_id": row["org_id"] or PLATFORM_ORG,
        "seq": None,
        "kind": kind,
        "source_id": str(row["id"]),
        "subject": str(subject)[:64] if subject is not None else None,
        "data": data.decode(),
        "leaf": leaf_hash(data),
        "created_at": clock.now(),
    }


def audit_entry(row: dict[str, Any]) -> dict[str, Any]:
    """The evidence row of one audit entry's row."""
    return _entry("audit", row, audit_fact(row), row.get("target_id"))


def event_entry(row: dict[str, Any]) -> dict[str, Any]:
    """The evidence row of one outbox event's row."""
    payload = row.get("payload") or {}
    subject = payload.get("request_id") if isinstance(payload, dict) else None
    return _entry("event", row, event_fact(row), subject)


def fact_entry(org_id: uuid.UUID, kind: str, fact: dict[str, Any]) -> dict[str, Any]:
    """The evidence row of a fact appended directly (not through the audit trail)."""
    source = fact.get("id") or new_id()
    return _entry(kind, {"id": source, "org_id": org_id}, fact, fact.get("subject"))
