"""Roles: the permission catalogue, and roles' permissions and data scopes."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from sealhub.identity import auth, common, errors, schemas
from sealhub.identity.models import (
    Membership,
    Role,
)
from sealhub.identity.permissions import CATALOGUE, GROUPS
from sealhub.identity.repository import RoleRepository
from sealhub.platform import audit, clock
from sealhub.platform.actor import Actor, DataScope
from sealhub.platform.runtime import Runtime

# ================================================================ roles


def permission_catalogue() -> schemas.CatalogueOut:
    """The fixed permission catalogue grouped by area, and the data scopes, with labels."""
    groups = [
        schemas.PermissionGroupOut(
            key=key,
            zh=zh,
            en=en,
            permissions=[
                schemas.PermissionOut(key=p.key, zh=p.zh, en=p.en)
                for p in CATALOGUE
                if p.group == key
            ],
        )
        for key, (zh, en) in GROUPS.items()
    ]
    scopes = [
        schemas.DataScopeOut(key=s.value, zh=zh, en=en)
        for s, (zh, en, _) in schemas.DATA_SCOPE_LABELS.items()
    ]
    return schemas.CatalogueOut(groups=groups, data_scopes=scopes)


_LIVE_MEMBER = (Membership.deleted_at.is_(None),)


async def _roles_out(
    session: AsyncSession, actor: Actor, roles: list[Role]
) -> list[schemas.RoleOut]:
    people = await common.people_refs(
        session, actor.org_id, [r.created_by for r in roles] + [r.updated_by for r in roles]
    )
    counts = await RoleRepository(session, actor).member_counts([r.id for r in roles])
    return [
        schemas.RoleOut(
            id=r.id,
            name=r.name,
            builtin_key=r.builtin_key,
            description=r.description,
            permissions=sorted(r.permissions or []),
            data_scope=r.data_scope,
            member_count=counts.get(r.id, 0),
            created_by=people.get(r.created_by) if r.created_by else None,
            updated_by=people.get(r.updated_by) if r.updated_by else None,
            created_at=r.created_at,
            updated_at=r.updated_at,
        )
        for r in roles
    ]


def _role_fields(role: Role) -> dict[str, Any]:
    return {
        "name": role.name,
        "description": role.description,
        "permissions": sorted(role.permissions or []),
        "data_scope": role.data_scope,
    }


_ROLE_SORTS = {"created_at": Role.created_at, "name": Role.name, "updated_at": Role.updated_at}


async def list_roles(
    session: AsyncSession,
    actor: Actor,
    *,
    q: str | None = None,
    page: int = 1,
    page_size: int = 20,
    sort: str = "created_at",
    descending: bool = False,
) -> tuple[list[schemas.RoleOut], int]:
    """The organisation's roles, one page, and how many match."""
    stmt = RoleRepository(session, actor).readable()
    if q:
        stmt = stmt.where(Role.name.contains(q, autoescape=True))
    total = await session.scalar(select(func.count()).select_from(stmt.subquery())) or 0
    column = _ROLE_SORTS[sort]
    stmt = stmt.order_by(column.desc() if descending else column.asc(), Role.id)
    roles = list(
        (await session.execute(stmt.offset((page - 1) * page_size).limit(page_size))).scalars()
    )
    return await _roles_out(session, actor, roles), int(total)


async def get_role(session: AsyncSession, actor: Actor, role_id: uuid.UUID) -> schemas.RoleOut:
    """One role with its creator, updater and member count."""
    role = await RoleRepository(session, actor).get(role_id)
    return (await _roles_out(session, actor, [role]))[0]


async def create_role(
    session: AsyncSession,
    runtime: Runtime,
    actor: Actor,
    *,
    name: str,
    description: str = "",
    permissions: Sequence[str] = (),
    data_scope: DataScope = DataScope.SELF,
) -> schemas.RoleOut:
    """A new role: permissions from the catalogue and a data scope."""
    perms = common.check_permissions(permissions)
    common.check_grantable(actor, perms, DataScope(data_scope).value)
    if await RoleRepository(session, actor).name_taken(name):
        raise errors.RoleNameTaken()
    role = Role(
        org_id=actor.org_id,
        name=name,
        description=description,
        permissions=perms,
        data_scope=DataScope(data_scope).value,
        created_by=actor.user_id,
        updated_by=actor.user_id,
    )
    session.add(role)
    await session.flush()
    await audit.record(
        session,
        actor,
        "role.create",
        "role",
        role.id,
        summary=audit.Summary(f"新建角色 {name}", f"Created role {name}"),
        after=_role_fields(role),
    )
    auth.invalidate_org(session, runtime, actor.org_id)
    return (await _roles_out(session, actor, [role]))[0]


async def update_role(
    session: AsyncSession,
    runtime: Runtime,
    actor: Actor,
    role_id: uuid.UUID,
    *,
    name: str | None = None,
    description: str | None = None,
    permissions: Sequence[str] | None = None,
    data_scope: DataScope | None = None,
) -> schemas.RoleOut:
    """Edit a role (built-in ones too; their key stays)."""
    role = await RoleRepository(session, actor).get_for_update(role_id)
    before = _role_fields(role)
    if name is not None and name != role.name:
        if await RoleRepository(session, actor).name_taken(name, exclude=role.id):
            raise errors.RoleNameTaken()
        role.name = name
    if description is not None:
        role.description = description
    if permissions is not None:
        role.permissions = common.check_permissions(permissions)
    if data_scope is not None:
        role.data_scope = DataScope(data_scope).value
    if permissions is not None or data_scope is not None:
        common.check_grantable(actor, role.permissions, role.data_scope)
    role.updated_by = actor.user_id
    role.updated_at = clock.now()
    await session.flush()
    if permissions is not None:
        await common.ensure_admin_remains(session, actor.org_id)
    await audit.record(
        session,
        actor,
        "role.update",
        "role",
        role.id,
        summary=audit.Summary(f"修改角色 {role.name}", f"Updated role {role.name}"),
        before=before,
        after=_role_fields(role),
    )
    auth.invalidate_org(session, runtime, actor.org_id)
    return (await _roles_out(session, actor, [role]))[0]


async def delete_role(
    session: AsyncSession, runtime: Runtime, actor: Actor, role_id: uuid.UUID
) -> None:
    """Delete a custom role nobody holds."""
    roles = RoleRepository(session, actor)
    role = await roles.get_for_update(role_id)
    if role.builtin_key is not None:
        raise errors.RoleBuiltin()
    if (await roles.member_counts([role.id])).get(role.id, 0):
        raise errors.RoleInUse()
    before = _role_fields(role)
    await roles.unlink(role.id)
    await session.delete(role)
    await session.flush()
    await audit.record(
        session,
        actor,
        "role.delete",
        "role",
        role_id,
        summary=audit.Summary(f"删除角色 {before['name']}", f"Deleted role {before['name']}"),
        before=before,
    )
    auth.invalidate_org(session, runtime, actor.org_id)
