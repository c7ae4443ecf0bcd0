"""Events of the seals context (stored JSON: these fields plus "v", see platform.events)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import ClassVar

from sealhub.platform.events import Event


@dataclass(frozen=True, kw_only=True)
class CustodyFacts(Event):
    """One hand-out of a physical seal as events carry it (no `name`: not an event)."""

    seal_id: uuid.UUID
    custody_id: uuid.UUID
    request_id: uuid.UUID | None
    holder_id: uuid.UUID
    carried_out: bool
    handed_out_at: datetime
    expected_return_at: datetime | None
    returned_at: datetime | None
    presses: int | None


@dataclass(frozen=True, kw_only=True)
class HandedOut(CustodyFacts):
    """A keeper handed a physical seal to a holder."""

    name: ClassVar[str] = "seal.handed_out"
    version: ClassVar[int] = 1


@dataclass(frozen=True, kw_only=True)
class Returned(CustodyFacts):
    """A handed-out physical seal came back (with the presses the keeper counted, if any)."""

    name: ClassVar[str] = "seal.returned"
    version: ClassVar[int] = 1


@dataclass(frozen=True, kw_only=True)
class StatusChanged(Event):
    """A seal moved along its lifecycle (suspended, reported lost, revoked, destroyed...)."""

    name: ClassVar[str] = "seal.status_changed"
    version: ClassVar[int] = 1

    seal_id: uuid.UUID
    kind: str
    from_status: str
    to_status: str
    reason: str
