"""Events of the identity context (stored JSON: these fields plus "v", see platform.events)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import ClassVar

from sealhub.platform.events import Event


@dataclass(frozen=True, kw_only=True)
class JoinRequested(Event):
    """Someone asked to join an organisation (admins see it live)."""

    name: ClassVar[str] = "member.join_requested"
    version: ClassVar[int] = 1
    membership_id: uuid.UUID
    real_name: str
