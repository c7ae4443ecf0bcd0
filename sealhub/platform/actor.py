"""Who is acting: the security facts every service receives, knowing no context's tables."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from enum import StrEnum


class DataScope(StrEnum):
    SELF = "self"
    UNIT = "unit"
    UNIT_AND_BELOW = "unit_and_below"
    ORG = "org"

    @property
    def rank(self) -> int:
        return list(DataScope).index(self)


@dataclass(frozen=True)
class Actor:
    """The authenticated member (or API key) on whose behalf a service runs."""

    user_id: uuid.UUID
    org_id: uuid.UUID
    name: str = ""
    permissions: frozenset[str] = frozenset()
    data_scope: DataScope = DataScope.SELF
    unit_ids: frozenset[uuid.UUID] = frozenset()
    # own units plus every unit below them, resolved at authentication
    subtree_unit_ids: frozenset[uuid.UUID] = frozenset()
    api_key_id: uuid.UUID | None = None
    session_id: uuid.UUID | None = None
    ip: str | None = None
    client: str | None = None
    locale: str = "zh-CN"
    extra: dict[str, str] = field(default_factory=dict, compare=False, hash=False)

    def can(self, permission: str) -> bool:
        return permission in self.permissions


@dataclass(frozen=True)
class SystemActor:
    """Background work (jobs, CLI) acting without a member."""

    org_id: uuid.UUID | None = None
    name: str = "system"
