"""The organisation: its name and settings."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any, Protocol

from sqlalchemy import bindparam, select
from sqlalchemy.ext.asyncio import AsyncSession

from sealhub.identity import errors, schemas
from sealhub.identity.models import (
    Organization,
)
from sealhub.platform import audit, clock
from sealhub.platform.actor import Actor

# ================================================================ organisation


class _OrgFields(Protocol):
    """An Organization, or a row of its columns."""

    id: uuid.UUID
    name: str
    code: str
    status: str
    settings: dict[str, Any]
    created_at: datetime


def _org_out(org: _OrgFields) -> schemas.OrgOut:
    return schemas.OrgOut(
        id=org.id,
        name=org.name,
        code=org.code,
        status=org.status,
        settings=dict(org.settings or {}),
        created_at=org.created_at,
    )


async def _org(session: AsyncSession, actor: Actor) -> Organization:
    org = await session.get(Organization, actor.org_id)
    if org is None:  # the actor was built from an active membership of this org
        raise errors.OrgCodeUnknown()
    return org


_ORG_TABLE = Organization.__table__
# a Core statement built once: the hottest read skips the ORM's identity map and loading
_ORG_ROW = select(
    _ORG_TABLE.c.id,
    _ORG_TABLE.c.name,
    _ORG_TABLE.c.code,
    _ORG_TABLE.c.status,
    _ORG_TABLE.c.settings,
    _ORG_TABLE.c.created_at,
).where(_ORG_TABLE.c.id == bindparam("org_id"))


async def get_organization(session: AsyncSession, actor: Actor) -> schemas.OrgOut:
    """The actor's organisation with its settings."""
    conn = await session.connection()
    row = (await conn.execute(_ORG_ROW, {"org_id": actor.org_id})).first()
    if row is None:  # the actor was built from an active membership of this org
        raise errors.OrgCodeUnknown()
    return _org_out(row)


async def update_organization(
    session: AsyncSession,
    actor: Actor,
    *,
    name: str | None = None,
    settings: dict[str, schemas.SettingValue] | None = None,
) -> schemas.OrgOut:
    """Rename the organisation and/or merge settings (a null value removes a key)."""
    org = await _org(session, actor)
    before = {"name": org.name, "settings": dict(org.settings or {})}
    if name is not None:
        org.name = name
    if settings is not None:
        merged = dict(org.settings or {})
        for key, value in settings.items():
            if value is None:
                merged.pop(key, None)
            else:
                merged[key] = value
        org.settings = merged  # reassign: JSON columns are not mutation-tracked
    org.updated_at = clock.now()
    await session.flush()
    after = {"name": org.name, "settings": dict(org.settings)}
    await audit.record(
        session,
        actor,
        "org.update",
        "organization",
        org.id,
        summary=audit.Summary(f"修改组织信息 {org.name}", f"Updated organisation {org.name}"),
        before=before,
        after=after,
    )
    return _org_out(org)
