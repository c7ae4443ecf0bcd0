"""Events of the notify context (stored JSON: these fields plus "v", see platform.events).

The notification channels (webhooks, robots, SMS, e-mail) listen to these; the console
hears them live through the event stream."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any, ClassVar

from sealhub.platform.events import Event


@dataclass(frozen=True, kw_only=True)
class AlertFacts(Event):
    """An alert as events carry it (no `name`: not an event)."""

    alert_id: uuid.UUID
    kind: str
    severity: str
    subject_type: str
    subject_id: str
    request_id: uuid.UUID | None
    status: str
    count: int


@dataclass(frozen=True, kw_only=True)
class AlertRaised(AlertFacts):
    """A condition was raised: a new alert (`count` 1) or a repeat of an unresolved one."""

    name: ClassVar[str] = "alert.raised"
    version: ClassVar[int] = 1
    details: dict[str, Any]
    last_at: datetime


@dataclass(frozen=True, kw_only=True)
class AlertAcknowledged(AlertFacts):
    """Someone acknowledged an alert (they are on it), with a comment."""

    name: ClassVar[str] = "alert.acknowledged"
    version: ClassVar[int] = 1
    by: uuid.UUID | None
    by_name: str
    comment: str


@dataclass(frozen=True, kw_only=True)
class AlertResolved(AlertFacts):
    """Someone resolved an alert, with a comment; the next occurrence opens a new one."""

    name: ClassVar[str] = "alert.resolved"
    version: ClassVar[int] = 1
    by: uuid.UUID | None
    by_name: str
    comment: str
