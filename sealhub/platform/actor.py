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

    @property
    def is_system(self) -> bool:
        """True for the system acting in an organisation (see `system_in`), never a member."""
        return False


# a user id no member can have: rows owned by "me" match nothing for the system
_NOBODY = uuid.UUID(int=0)


@dataclass(frozen=True, kw_only=True)
class OrgSystemActor(Actor):
    """The system acting inside one organisation (background jobs, event handlers): it reads
    every unit of that organisation and nothing of another, is nobody's applicant or
    approver, and is audited as the system. Build it with `system_in(org_id)`."""

    user_id: uuid.UUID = _NOBODY
    name: str = "system"
    data_scope: DataScope = DataScope.ORG

    def can(self, permission: str) -> bool:
        return True  # trusted code only; the organisation still bounds every read

    @property
    def is_system(self) -> bool:
        return True


def system_in(org_id: uuid.UUID) -> OrgSystemActor:
    """The system acting inside organisation `org_id`."""
    return OrgSystemActor(org_id=org_id)


@dataclass(frozen=True)
class SystemActor:
    """Background work (jobs, CLI) acting without a member, for the audit trail only (it
    reads nothing: use `system_in(org_id)` to read an organisation's rows)."""

    org_id: uuid.UUID | None = None
    name: str = "system"

    @property
    def is_system(self) -> bool:
        return True
