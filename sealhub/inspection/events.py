"""Events of the inspection context (stored JSON: these fields plus "v")."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import ClassVar

from sealhub.platform.events import Event


@dataclass(frozen=True, kw_only=True)
class PhotoInspected(Event):
    """A photo of stamped pages was compared with the application's documents."""

    name: ClassVar[str] = "inspection.completed"
    version: ClassVar[int] = 1
    request_id: uuid.UUID
    photo_id: uuid.UUID
    result_id: uuid.UUID
    verdict: str
    document_id: uuid.UUID | None
    page: int | None
