"""Evidence log in/out shapes."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from sealhub.platform.types import StrictModel


class HeadOut(BaseModel):
    size: int
    root: str = Field(description="base64 SHA-256 root hash")
    note: str = Field(description="the C2SP signed-note checkpoint, as signed")
    created_at: datetime


class InclusionProof(BaseModel):
    record_id: str
    kind: str
    index: int
    tree_size: int
    leaf_hash: str
    data: str = Field(description="the exact leaf bytes (RFC 8785 JSON)")
    path: list[str] = Field(description="base64 hashes, leaf level first (RFC 9162 §2.1.3)")


class ConsistencyProof(BaseModel):
    first: int
    second: int
    path: list[str]


class WitnessIn(StrictModel):
    kind: Literal["webhook", "file"]
    target: str = Field(min_length=1, max_length=500)


class WitnessesIn(StrictModel):
    witnesses: list[WitnessIn] = Field(max_length=20)


class WitnessOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    kind: str
    target: str
    pushed_size: int
    last_error: str | None
    created_at: datetime


class AuditOut(BaseModel):
    at: datetime
    ok: bool
    checked: int
    findings: list[dict[str, Any]]


class RotateIn(StrictModel):
    overlap_hours: int = Field(168, ge=0, le=24 * 90)
