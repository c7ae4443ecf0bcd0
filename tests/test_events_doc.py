"""docs/events.md lists every declared event with its version and fields, from the registry.

Regenerate with `python -m tests.test_events_doc`."""

from __future__ import annotations

import importlib
from pathlib import Path

from sealhub.platform import events

DOC = Path(__file__).resolve().parents[1] / "docs" / "events.md"
# the contexts that declare events (the contexts list replaces this at merge)
EVENT_MODULES = (
    "sealhub.identity.events",
    "sealhub.seals.events",
    "sealhub.requests.events",
    "sealhub.notify.events",
    "sealhub.devices.events",
)


def current() -> str:
    for name in EVENT_MODULES:
        importlib.import_module(name)
    return events.markdown()


def test_events_doc_is_current() -> None:
    assert DOC.exists() and DOC.read_text() == current(), (
        "docs/events.md is stale: run `python -m tests.test_events_doc`"
    )


def test_every_declared_event_is_documented_with_its_fields() -> None:
    doc = current()
    declared = events.declared()
    assert {"request.approved", "seal.returned", "member.join_requested"} <= set(declared)
    for name, cls in declared.items():
        assert f"## `{name}` (v{cls.version})" in doc
        for field, _ in events.fields_of(cls):
            assert f"| `{field}` |" in doc
    assert events.known("request.approved") and not events.known("request.approve")


if __name__ == "__main__":
    DOC.write_text(current())
    print(f"wrote {DOC}")
