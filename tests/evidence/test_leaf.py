"""The leaf format: RFC 8785 canonical JSON (the fast path must equal the reference)."""

from __future__ import annotations

from typing import Any

import rfc8785
from hypothesis import given, settings
from hypothesis import strategies as st

from sealhub.evidence import leaf

json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-(2**60), 2**60)
    | st.text()
    | st.floats(allow_nan=False, allow_infinity=False),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=6), children, max_size=4)
    ),
    max_leaves=12,
)


@settings(max_examples=150, deadline=None)
@given(st.dictionaries(st.text(max_size=8), json_values, max_size=6))
def test_canonical_is_rfc8785(fact: dict[str, Any]) -> None:
    try:
        want = rfc8785.dumps(fact)
    except Exception:
        return  # values JCS cannot represent (huge ints): both refuse, nothing to compare
    assert leaf.canonical(fact) == want


def test_control_and_non_ascii_strings_match() -> None:
    fact = {"z": '印章\u0000\u001f\u007f\u2028"\\/\t\n', "a": [1, True, None], "é": {"b": -0}}
    assert leaf.canonical(fact) == rfc8785.dumps(fact)


def test_an_audit_row_leaf_is_stable() -> None:
    import uuid
    from datetime import UTC, datetime

    row = {
        "id": uuid.UUID(int=1),
        "org_id": uuid.UUID(int=2),
        "at": datetime(2026, 11, 29, 12, 0, 0, 123456, tzinfo=UTC),
        "action": "request.approve",
        "target_type": "request",
        "target_id": "x",
        "summary": "同意",
        "after": {"n": 1},
    }
    entry = leaf.audit_entry(row)
    assert entry["data"] == (
        '{"action":"request.approve","actor_id":null,"actor_name":null,"after":{"n":1},'
        '"api_key_id":null,"at":"2026-11-29T12:00:00.123456+00:00","before":null,"client":null,'
        '"id":"00000000-0000-0000-0000-000000000001","ip":null,'
        '"kind":"audit","org":"00000000-0000-0000-0000-000000000002","summary":"同意",'
        '"summary_en":null,"target_id":"x","target_type":"request","v":1}'
    )
