"""Storage output models."""

from __future__ import annotations

import uuid
from datetime import datetime

from pydantic import BaseModel, ConfigDict


class ObjectOut(BaseModel):
    """What clients learn about a stored file (never its key or blob location)."""

    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    sha256: str
    size: int
    content_type: str
    filename: str
    created_at: datetime
    pages: int | None = None
