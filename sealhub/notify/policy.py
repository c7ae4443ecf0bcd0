"""Alert vocabularies and the one lifecycle table (pure: no I/O)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum

from sealhub.notify.errors import InvalidAlertTransition
from sealhub.platform.lifecycle import Lifecycle


class AlertStatus(StrEnum):
    OPEN = "open"
    ACKNOWLEDGED = "acknowledged"
    RESOLVED = "resolved"


class AlertAction(StrEnum):
    ACKNOWLEDGE = "acknowledge"
    RESOLVE = "resolve"


class Severity(StrEnum):
    INFO = "info"
    WARNING = "warning"
    CRITICAL = "critical"


SEVERITY_LABELS: dict[Severity, tuple[str, str, str]] = {
    Severity.INFO: ("提示", "Info", "info"),
    Severity.WARNING: ("警告", "Warning", "warning"),
    Severity.CRITICAL: ("严重", "Critical", "danger"),
}

ALERT_STATUS: Lifecycle[AlertStatus, AlertAction] = Lifecycle(
    "alert_status",
    states={
        AlertStatus.OPEN: ("待处理", "Open", "danger"),
        AlertStatus.ACKNOWLEDGED: ("已确认", "Acknowledged", "warning"),
        AlertStatus.RESOLVED: ("已解决", "Resolved", "success"),
    },
    moves={
        (AlertStatus.OPEN, AlertAction.ACKNOWLEDGE): AlertStatus.ACKNOWLEDGED,
        (AlertStatus.OPEN, AlertAction.RESOLVE): AlertStatus.RESOLVED,
        (AlertStatus.ACKNOWLEDGED, AlertAction.RESOLVE): AlertStatus.RESOLVED,
    },
    error=InvalidAlertTransition,
)


# ---- kinds: declared at import time by the context that raises them ----

_KIND_RE = re.compile(r"^[a-z][a-z0-9_]*\.[a-z][a-z0-9_]*$")


@dataclass(frozen=True)
class Kind:
    """One condition other contexts raise (`device.tampered`), with its labels."""

    key: str
    zh: str
    en: str
    severity: Severity


_KINDS: dict[str, Kind] = {}


def declare_kind(kind: str, zh: str, en: str, *, severity: str = "warning") -> Kind:
    """Register a kind of alert (idempotent for the same labels; a clash is a bug)."""
    if not _KIND_RE.match(kind) or len(kind) > 64:
        raise ValueError(f"alert kind {kind!r}: want <resource>.<condition>, lower snake case")
    declared = Kind(kind, zh, en, Severity(severity))
    other = _KINDS.get(kind)
    if other is not None and other != declared:
        raise ValueError(f"alert kind {kind!r} declared twice, differently")
    _KINDS[kind] = declared
    return declared


def kind(key: str) -> Kind:
    """A declared kind; an undeclared one is a bug in the raiser, not bad input."""
    found = _KINDS.get(key)
    if found is None:
        raise KeyError(f"alert kind {key!r} was never declared (alerts.declare_kind)")
    return found


def kinds() -> list[Kind]:
    return sorted(_KINDS.values(), key=lambda k: k.key)


def kind_label(key: str, locale: str = "zh") -> str:
    found = _KINDS.get(key)
    if found is None:
        return key  # rows of a kind whose module is gone still read
    return found.en if locale.startswith("en") else found.zh
