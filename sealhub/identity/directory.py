"""The directory: the organisation, its unit tree, roles, members and API keys.

Every write is audited; every change to roles, memberships or the tree calls
`auth.invalidate_org()` so no cached actor outlives it.
"""

from __future__ import annotations

import asyncio
import csv
import io
import re
import uuid
import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any, Protocol

from openpyxl import Workbook, load_workbook
from PIL import Image
from sqlalchemy import bindparam, delete, func, insert, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from sealhub.identity import auth, errors, lookup, schemas, spreadsheet
from sealhub.identity import repository as repo
from sealhub.identity.models import (
    ApiKey,
    MemberRole,
    Membership,
    MemberStatus,
    MemberUnit,
    Organization,
    OrgUnit,
    Role,
    Session,
    UnitSupervisor,
    User,
)
from sealhub.identity.permissions import ALL, CATALOGUE, GROUPS
from sealhub.identity.repository import (
    ApiKeyRepository,
    MemberRepository,
    RoleRepository,
    UnitRepository,
)
from sealhub.platform import audit, clock, ids
from sealhub.platform.actor import Actor, DataScope
from sealhub.platform.errors import AppError, ValidationFailed
from sealhub.platform.runtime import Runtime
from sealhub.storage import service as storage

LOGO_MAX_BYTES = 1024 * 1024
LOGO_MAX_SIDE = 1024
# holding both (through any of one's roles) makes an administrator for the last-admin guard
ADMIN_PERMISSIONS = frozenset({"member.manage", "role.manage"})
IMPORT_MAX_BYTES = 5 * 1024 * 1024
IMPORT_MAX_ROWS = 2000
HASH_CONCURRENCY = 4
IMPORT_HEADERS = ("姓名", "手机号", "角色", "部门代码")
_HEADER_ALIASES = {
    "姓名": "name",
    "name": "name",
    "手机号": "phone",
    "手机": "phone",
    "phone": "phone",
    "角色": "roles",
    "roles": "roles",
    "部门代码": "units",
    "units": "units",
}
_LIST_SPLIT = re.compile(r"[,，、;；\s]+")

SCOPE_LABELS: dict[DataScope, tuple[str, str]] = {
    DataScope.SELF: ("仅本人", "Own records only"),
    DataScope.UNIT: ("本部门", "Own unit"),
    DataScope.UNIT_AND_BELOW: ("本部门及下级部门", "Own unit and below"),
    DataScope.ORG: ("全组织", "Whole organisation"),
}


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


# ================================================================ org units


def _logo_url(unit: OrgUnit) -> str | None:
    if unit.logo_object_id is None:
        return None
    # the version parameter changes with the logo, so browsers may cache each one forever
    return f"/api/v1/org/units/{unit.id}/logo?v={unit.logo_object_id}"


async def _supervisors(
    session: AsyncSession, org_id: uuid.UUID, unit_ids: list[uuid.UUID]
) -> dict[uuid.UUID, list[schemas.SupervisorTitleOut]]:
    if not unit_ids:
        return {}
    rows = await repo.supervisors_in(session, org_id, unit_ids)
    names = await lookup.names(session, org_id, [r.user_id for r in rows if r.user_id])
    by_unit: dict[uuid.UUID, dict[str, schemas.SupervisorTitleOut]] = {}
    for row in rows:
        titles = by_unit.setdefault(row.unit_id, {})
        entry = titles.setdefault(row.title, schemas.SupervisorTitleOut(title=row.title, users=[]))
        if row.user_id is not None:
            entry.users.append(
                schemas.PersonRef(id=row.user_id, real_name=names.get(row.user_id, ""))
            )
    return {unit_id: list(titles.values()) for unit_id, titles in by_unit.items()}


def _unit_out(unit: OrgUnit, sups: list[schemas.SupervisorTitleOut]) -> schemas.UnitOut:
    return schemas.UnitOut(
        id=unit.id,
        parent_id=unit.parent_id,
        name=unit.name,
        code=unit.code,
        kind=unit.kind,
        sort=unit.sort,
        description=unit.description,
        path=unit.path,
        logo_url=_logo_url(unit),
        supervisors=sups,
        created_at=unit.created_at,
        updated_at=unit.updated_at,
    )


async def _one_unit_out(session: AsyncSession, unit: OrgUnit) -> schemas.UnitOut:
    sups = await _supervisors(session, unit.org_id, [unit.id])
    return _unit_out(unit, sups.get(unit.id, []))


def _unit_fields(unit: OrgUnit) -> dict[str, Any]:
    return {
        "name": unit.name,
        "code": unit.code,
        "kind": unit.kind,
        "sort": unit.sort,
        "description": unit.description,
        "parent_id": unit.parent_id,
    }


async def list_units(session: AsyncSession, actor: Actor) -> list[schemas.UnitOut]:
    """Every unit of the organisation, flat, by sort then name, with supervisors."""
    repo = UnitRepository(session, actor)
    units = list(
        (
            await session.execute(repo.readable().order_by(OrgUnit.sort, OrgUnit.name, OrgUnit.id))
        ).scalars()
    )
    sups = await _supervisors(session, actor.org_id, [u.id for u in units])
    return [_unit_out(u, sups.get(u.id, [])) for u in units]


async def get_unit(session: AsyncSession, actor: Actor, unit_id: uuid.UUID) -> schemas.UnitOut:
    """One unit with its supervisors."""
    return await _one_unit_out(session, await UnitRepository(session, actor).get(unit_id))


async def _check_code_free(
    session: AsyncSession, org_id: uuid.UUID, code: str, exclude: uuid.UUID | None = None
) -> None:
    stmt = select(OrgUnit.id).where(OrgUnit.org_id == org_id, OrgUnit.code == code)
    if exclude is not None:
        stmt = stmt.where(OrgUnit.id != exclude)
    if await session.scalar(stmt) is not None:
        raise errors.UnitCodeTaken()


async def _generated_code(session: AsyncSession, org_id: uuid.UUID, parent: OrgUnit) -> str:
    """`<parent code>-<n>` for the next free n, or a random code when that grows too long."""
    siblings = await session.scalar(
        select(func.count()).select_from(OrgUnit).where(OrgUnit.parent_id == parent.id)
    )
    taken = set(
        (await session.execute(select(OrgUnit.code).where(OrgUnit.org_id == org_id))).scalars()
    )
    start = (siblings or 0) + 1
    for n in range(start, start + 1000):
        candidate = f"{parent.code}-{n}"
        if len(candidate) > 60:
            break
        if candidate not in taken:
            return candidate
    for _ in range(50):
        candidate = "U" + ids.digits(8)
        if candidate not in taken:
            return candidate
    raise errors.UnitCodeTaken()


async def create_unit(
    session: AsyncSession,
    actor: Actor,
    *,
    parent_id: uuid.UUID | None,
    name: str,
    code: str | None = None,
    kind: str = "department",
    sort: int = 0,
    description: str = "",
) -> schemas.UnitOut:
    """A new unit under `parent_id` (the root when None); the code is generated if omitted."""
    repo = UnitRepository(session, actor)
    parent = await repo.get(parent_id) if parent_id is not None else await repo.root()
    if code:
        await _check_code_free(session, actor.org_id, code)
    else:
        code = await _generated_code(session, actor.org_id, parent)
    unit_id = ids.new_id()
    unit = OrgUnit(
        id=unit_id,
        org_id=actor.org_id,
        parent_id=parent.id,
        name=name,
        code=code,
        kind=kind,
        sort=sort,
        description=description,
        path=f"{parent.path}{unit_id}/",
    )
    session.add(unit)
    await session.flush()
    await audit.record(
        session,
        actor,
        "org.unit_create",
        "org_unit",
        unit.id,
        summary=audit.Summary(
            f"新建组织单元 {name}（{code}），上级 {parent.name}",
            f"Created unit {name} ({code}) under {parent.name}",
        ),
        after=_unit_fields(unit),
    )
    return _unit_out(unit, [])


async def update_unit(
    session: AsyncSession,
    actor: Actor,
    unit_id: uuid.UUID,
    *,
    name: str | None = None,
    code: str | None = None,
    kind: str | None = None,
    sort: int | None = None,
    description: str | None = None,
) -> schemas.UnitOut:
    """Edit a unit's name, code, kind, sort order or description."""
    unit = await UnitRepository(session, actor).get_for_update(unit_id)
    before = _unit_fields(unit)
    if code is not None and code != unit.code:
        await _check_code_free(session, actor.org_id, code, exclude=unit.id)
        unit.code = code
    if name is not None:
        unit.name = name
    if kind is not None:
        unit.kind = kind
    if sort is not None:
        unit.sort = sort
    if description is not None:
        unit.description = description
    unit.updated_at = clock.now()
    await session.flush()
    await audit.record(
        session,
        actor,
        "org.unit_update",
        "org_unit",
        unit.id,
        summary=audit.Summary(f"修改组织单元 {unit.name}", f"Updated unit {unit.name}"),
        before=before,
        after=_unit_fields(unit),
    )
    return await _one_unit_out(session, unit)


async def move_unit(
    session: AsyncSession,
    runtime: Runtime,
    actor: Actor,
    unit_id: uuid.UUID,
    *,
    parent_id: uuid.UUID,
) -> schemas.UnitOut:
    """Put a unit (with its whole subtree) under another parent; refuses cycles."""
    repo = UnitRepository(session, actor)
    unit = await repo.get_for_update(unit_id)
    if unit.parent_id is None:
        raise errors.RootUnitImmutable()
    parent = await repo.get(parent_id)
    if parent.path.startswith(unit.path):
        raise errors.UnitCycle()
    if parent.id == unit.parent_id:
        return await _one_unit_out(session, unit)
    old_parent = await repo.get(unit.parent_id)
    old_prefix = unit.path
    new_prefix = f"{parent.path}{unit.id}/"
    subtree = (
        await session.execute(
            repo.tenant().where(OrgUnit.path.startswith(old_prefix, autoescape=True))
        )
    ).scalars()
    now = clock.now()
    for node in subtree:
        node.path = new_prefix + node.path[len(old_prefix) :]
        node.updated_at = now
    unit.parent_id = parent.id
    await session.flush()
    await audit.record(
        session,
        actor,
        "org.unit_move",
        "org_unit",
        unit.id,
        summary=audit.Summary(
            f"将组织单元 {unit.name} 从 {old_parent.name} 移至 {parent.name}",
            f"Moved unit {unit.name} from {old_parent.name} to {parent.name}",
        ),
        before={"parent_id": old_parent.id},
        after={"parent_id": parent.id},
    )
    # actors cache the subtree of their units
    await auth.invalidate_org(runtime, actor.org_id)
    return await _one_unit_out(session, unit)


async def delete_unit(session: AsyncSession, actor: Actor, unit_id: uuid.UUID) -> None:
    """Delete an empty unit (no sub-units, no members); the root stays."""
    unit = await UnitRepository(session, actor).get_for_update(unit_id)
    if unit.parent_id is None:
        raise errors.RootUnitImmutable()
    child = await session.scalar(
        select(OrgUnit.id).where(OrgUnit.org_id == actor.org_id, OrgUnit.parent_id == unit.id)
    )
    live = (Membership.org_id == actor.org_id, Membership.deleted_at.is_(None))
    member = await session.scalar(
        select(Membership.id)
        .where(
            *live,
            or_(
                Membership.primary_unit_id == unit.id,
                Membership.id.in_(
                    select(MemberUnit.membership_id).where(MemberUnit.unit_id == unit.id)
                ),
            ),
        )
        .limit(1)
    )
    if child is not None or member is not None:
        raise errors.UnitNotEmpty()
    # Hook: when the seals context exists, refuse here too if seals are registered to the
    # unit (a seals service look-up such as `seals.service.count_in_unit(org_id, unit_id)`).
    # Deleted members may still point at the unit: let go of it.
    await session.execute(
        update(Membership)
        .where(Membership.org_id == actor.org_id, Membership.primary_unit_id == unit.id)
        .values(primary_unit_id=None)
    )
    await session.execute(delete(MemberUnit).where(MemberUnit.unit_id == unit.id))
    await session.execute(
        delete(UnitSupervisor).where(
            UnitSupervisor.org_id == actor.org_id, UnitSupervisor.unit_id == unit.id
        )
    )
    before = _unit_fields(unit)
    await session.delete(unit)
    await session.flush()
    await audit.record(
        session,
        actor,
        "org.unit_delete",
        "org_unit",
        unit_id,
        summary=audit.Summary(
            f"删除组织单元 {before['name']}（{before['code']}）",
            f"Deleted unit {before['name']} ({before['code']})",
        ),
        before=before,
    )


async def set_supervisors(
    session: AsyncSession,
    actor: Actor,
    unit_id: uuid.UUID,
    titles: Sequence[tuple[str, Sequence[uuid.UUID]]],
) -> schemas.UnitOut:
    """Replace a unit's supervisor titles and the members holding each."""
    unit = await UnitRepository(session, actor).get_for_update(unit_id)
    merged: dict[str, list[uuid.UUID]] = {}
    for title, user_ids in titles:
        holders = merged.setdefault(title.strip(), [])
        holders.extend(u for u in user_ids if u not in holders)
    wanted = {u for holders in merged.values() for u in holders}
    known = await lookup.members_info(session, actor.org_id, list(wanted))
    if wanted - set(known):
        raise errors.MemberNotFound()
    before = await _supervisors(session, actor.org_id, [unit.id])
    await session.execute(
        delete(UnitSupervisor).where(
            UnitSupervisor.org_id == actor.org_id, UnitSupervisor.unit_id == unit.id
        )
    )
    sort = 0
    for title, holders in merged.items():
        slots: list[uuid.UUID | None] = list(holders) or [None]
        for user_id in slots:
            session.add(
                UnitSupervisor(
                    org_id=actor.org_id, unit_id=unit.id, title=title, user_id=user_id, sort=sort
                )
            )
            sort += 1
    unit.updated_at = clock.now()
    await session.flush()
    out = await _one_unit_out(session, unit)
    now_held = out.supervisors
    await audit.record(
        session,
        actor,
        "org.unit_supervisors",
        "org_unit",
        unit.id,
        summary=audit.Summary(
            f"设置 {unit.name} 的负责人："
            + "；".join(f"{s.title}={'、'.join(u.real_name for u in s.users)}" for s in now_held),
            f"Set the supervisors of {unit.name}: "
            + "; ".join(f"{s.title}={', '.join(u.real_name for u in s.users)}" for s in now_held),
        ),
        before={"supervisors": [s.model_dump() for s in before.get(unit.id, [])]},
        after={"supervisors": [s.model_dump() for s in out.supervisors]},
    )
    return out


def _image_size(data: bytes) -> tuple[int, int] | None:
    """Width and height from the image header, or None when it is not a readable image."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            with Image.open(io.BytesIO(data)) as img:
                width, height = img.size
                return int(width), int(height)
    except Exception:
        return None


async def upload_unit_logo(
    session: AsyncSession,
    runtime: Runtime,
    actor: Actor,
    unit_id: uuid.UUID,
    data: bytes,
    *,
    filename: str,
) -> schemas.UnitOut:
    """Set a unit's logo: an image of at most 1 MB and 1024×1024 pixels."""
    unit = await UnitRepository(session, actor).get_for_update(unit_id)
    size = _image_size(data)
    if size is not None and max(size) > LOGO_MAX_SIDE:
        raise errors.LogoTooLarge(width=size[0], height=size[1], limit=LOGO_MAX_SIDE)
    obj = await storage.put(
        session,
        runtime,
        actor,
        data,
        filename=filename,
        purpose="org.logo",
        allowed_kinds=frozenset({"image"}),
        max_bytes=LOGO_MAX_BYTES,
    )
    before = unit.logo_object_id
    unit.logo_object_id = obj.id
    unit.updated_at = clock.now()
    await session.flush()
    await audit.record(
        session,
        actor,
        "org.unit_logo",
        "org_unit",
        unit.id,
        summary=audit.Summary(f"更新 {unit.name} 的标志图片", f"Updated the logo of {unit.name}"),
        before={"logo_object_id": before},
        after={"logo_object_id": obj.id, "sha256": obj.sha256, "size": obj.size},
    )
    return await _one_unit_out(session, unit)


async def get_unit_logo(
    session: AsyncSession, runtime: Runtime, actor: Actor, unit_id: uuid.UUID
) -> tuple[str, bytes]:
    """The unit's logo as (content type, bytes)."""
    unit = await UnitRepository(session, actor).get(unit_id)
    if unit.logo_object_id is None:
        raise errors.LogoMissing()
    obj, data = await storage.get(session, runtime, actor, unit.logo_object_id)
    return obj.content_type, data


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
        schemas.DataScopeOut(key=s.value, zh=SCOPE_LABELS[s][0], en=SCOPE_LABELS[s][1])
        for s in DataScope
    ]
    return schemas.CatalogueOut(groups=groups, data_scopes=scopes)


def _check_grantable(actor: Actor, permissions: Sequence[str], scope: str | None) -> None:
    """Nobody hands out more than they hold: no permission or data scope beyond their own."""
    for permission in sorted(set(permissions) - actor.permissions):
        raise errors.GrantExceedsOwn(what=permission)
    if scope is not None and DataScope(scope).rank > actor.data_scope.rank:
        raise errors.GrantExceedsOwn(what=scope)


def _check_roles_grantable(actor: Actor, roles: Sequence[Role]) -> None:
    for role in roles:
        _check_grantable(actor, role.permissions, role.data_scope)


def _check_permissions(permissions: Sequence[str]) -> list[str]:
    for permission in permissions:
        if permission not in ALL:
            raise errors.UnknownPermission(permission=permission)
    return sorted(set(permissions))


async def _people(
    session: AsyncSession, org_id: uuid.UUID, user_ids: Sequence[uuid.UUID | None]
) -> dict[uuid.UUID, schemas.PersonRef]:
    wanted = [u for u in user_ids if u is not None]
    names = await lookup.names(session, org_id, wanted)
    return {u: schemas.PersonRef(id=u, real_name=names.get(u, "")) for u in wanted}


_LIVE_MEMBER = (Membership.deleted_at.is_(None),)


async def _role_member_counts(
    session: AsyncSession, role_ids: list[uuid.UUID]
) -> dict[uuid.UUID, int]:
    if not role_ids:
        return {}
    rows = await session.execute(
        select(MemberRole.role_id, func.count())
        .join(Membership, Membership.id == MemberRole.membership_id)
        .where(MemberRole.role_id.in_(role_ids), *_LIVE_MEMBER)
        .group_by(MemberRole.role_id)
    )
    return {role_id: int(n) for role_id, n in rows.all()}


async def _roles_out(
    session: AsyncSession, org_id: uuid.UUID, roles: list[Role]
) -> list[schemas.RoleOut]:
    people = await _people(
        session, org_id, [r.created_by for r in roles] + [r.updated_by for r in roles]
    )
    counts = await _role_member_counts(session, [r.id for r in roles])
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
    return await _roles_out(session, actor.org_id, roles), int(total)


async def get_role(session: AsyncSession, actor: Actor, role_id: uuid.UUID) -> schemas.RoleOut:
    """One role with its creator, updater and member count."""
    role = await RoleRepository(session, actor).get(role_id)
    return (await _roles_out(session, actor.org_id, [role]))[0]


async def _check_role_name_free(
    session: AsyncSession, org_id: uuid.UUID, name: str, exclude: uuid.UUID | None = None
) -> None:
    stmt = select(Role.id).where(Role.org_id == org_id, Role.name == name)
    if exclude is not None:
        stmt = stmt.where(Role.id != exclude)
    if await session.scalar(stmt) is not None:
        raise errors.RoleNameTaken()


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
    perms = _check_permissions(permissions)
    _check_grantable(actor, perms, DataScope(data_scope).value)
    await _check_role_name_free(session, actor.org_id, name)
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
    await auth.invalidate_org(runtime, actor.org_id)
    return (await _roles_out(session, actor.org_id, [role]))[0]


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
        await _check_role_name_free(session, actor.org_id, name, exclude=role.id)
        role.name = name
    if description is not None:
        role.description = description
    if permissions is not None:
        role.permissions = _check_permissions(permissions)
    if data_scope is not None:
        role.data_scope = DataScope(data_scope).value
    if permissions is not None or data_scope is not None:
        _check_grantable(actor, role.permissions, role.data_scope)
    role.updated_by = actor.user_id
    role.updated_at = clock.now()
    await session.flush()
    if permissions is not None:
        await _ensure_admin_remains(session, actor.org_id)
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
    await auth.invalidate_org(runtime, actor.org_id)
    return (await _roles_out(session, actor.org_id, [role]))[0]


async def delete_role(
    session: AsyncSession, runtime: Runtime, actor: Actor, role_id: uuid.UUID
) -> None:
    """Delete a custom role nobody holds."""
    role = await RoleRepository(session, actor).get_for_update(role_id)
    if role.builtin_key is not None:
        raise errors.RoleBuiltin()
    if (await _role_member_counts(session, [role.id])).get(role.id, 0):
        raise errors.RoleInUse()
    before = _role_fields(role)
    # links left by deleted members
    await session.execute(delete(MemberRole).where(MemberRole.role_id == role.id))
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
    await auth.invalidate_org(runtime, actor.org_id)


# ================================================================ members


class MemberAction(StrEnum):
    APPROVE = "approve"
    DISABLE = "disable"
    ENABLE = "enable"


_MEMBER_TRANSITIONS: dict[tuple[MemberStatus, MemberAction], MemberStatus] = {
    (MemberStatus.PENDING, MemberAction.APPROVE): MemberStatus.ACTIVE,
    (MemberStatus.PENDING, MemberAction.DISABLE): MemberStatus.DISABLED,
    (MemberStatus.ACTIVE, MemberAction.DISABLE): MemberStatus.DISABLED,
    (MemberStatus.DISABLED, MemberAction.ENABLE): MemberStatus.ACTIVE,
}
_ACTION_ZH = {
    MemberAction.APPROVE: "批准",
    MemberAction.DISABLE: "停用",
    MemberAction.ENABLE: "启用",
}
_ACTION_EN = {
    MemberAction.APPROVE: "Approved",
    MemberAction.DISABLE: "Disabled",
    MemberAction.ENABLE: "Enabled",
}


def member_transition(current: str, action: MemberAction) -> MemberStatus:
    """The status after `action`, or MemberInvalidTransition (409)."""
    target = _MEMBER_TRANSITIONS.get((MemberStatus(current), action))
    if target is None:
        raise errors.MemberInvalidTransition(current=current, action=action.value)
    return target


async def _members_out(
    session: AsyncSession, org_id: uuid.UUID, members: list[Membership]
) -> list[schemas.MemberOut]:
    if not members:
        return []
    member_ids = [m.id for m in members]
    phones = dict(
        (
            await session.execute(
                select(User.id, User.phone).where(User.id.in_([m.user_id for m in members]))
            )
        ).all()
    )
    roles: dict[uuid.UUID, list[schemas.RoleRef]] = {}
    for membership_id, role in await repo.roles_of_memberships(session, member_ids):
        roles.setdefault(membership_id, []).append(
            schemas.RoleRef(id=role.id, name=role.name, builtin_key=role.builtin_key)
        )
    units: dict[uuid.UUID, list[OrgUnit]] = {}
    for membership_id, unit in await repo.units_of_memberships(session, member_ids):
        units.setdefault(membership_id, []).append(unit)
    out = []
    for m in members:
        mine = sorted(units.get(m.id, []), key=lambda u: u.id != m.primary_unit_id)
        out.append(
            schemas.MemberOut(
                id=m.id,
                user_id=m.user_id,
                real_name=m.real_name,
                phone=phones.get(m.user_id, ""),
                status=m.status,
                roles=roles.get(m.id, []),
                units=[schemas.UnitRef(id=u.id, name=u.name, code=u.code) for u in mine],
                primary_unit_id=m.primary_unit_id,
                registered_at=m.registered_at,
                updated_at=m.updated_at,
            )
        )
    return out


async def _member_out(session: AsyncSession, member: Membership) -> schemas.MemberOut:
    return (await _members_out(session, member.org_id, [member]))[0]


async def _member_fields(session: AsyncSession, member: Membership) -> dict[str, Any]:
    out = await _member_out(session, member)
    return {
        "real_name": out.real_name,
        "status": out.status,
        "roles": [r.name for r in out.roles],
        "units": [u.code for u in out.units],
    }


_MEMBER_SORTS = {"registered_at": Membership.registered_at, "real_name": Membership.real_name}


async def list_members(
    session: AsyncSession,
    actor: Actor,
    *,
    q: str | None = None,
    unit_id: uuid.UUID | None = None,
    below: bool = False,
    role_id: uuid.UUID | None = None,
    status: str | None = None,
    page: int = 1,
    page_size: int = 20,
    sort: str = "registered_at",
    descending: bool = True,
) -> tuple[list[schemas.MemberOut], int]:
    """Members the actor may see (data scope), filtered, one page, and how many match."""
    stmt = MemberRepository(session, actor).readable()
    if q:
        phone_match = select(User.id).where(User.phone.contains(q, autoescape=True))
        stmt = stmt.where(
            or_(
                Membership.real_name.contains(q, autoescape=True),
                Membership.user_id.in_(phone_match),
            )
        )
    if unit_id is not None:
        unit_ids: list[uuid.UUID] = [unit_id]
        if below:
            unit = await UnitRepository(session, actor).get(unit_id)
            unit_ids = list(
                (
                    await session.execute(
                        select(OrgUnit.id).where(
                            OrgUnit.org_id == actor.org_id,
                            OrgUnit.path.startswith(unit.path, autoescape=True),
                        )
                    )
                ).scalars()
            )
        stmt = stmt.where(
            Membership.id.in_(
                select(MemberUnit.membership_id).where(MemberUnit.unit_id.in_(unit_ids))
            )
        )
    if role_id is not None:
        stmt = stmt.where(
            Membership.id.in_(select(MemberRole.membership_id).where(MemberRole.role_id == role_id))
        )
    if status:
        stmt = stmt.where(Membership.status == status)
    total = await session.scalar(select(func.count()).select_from(stmt.subquery())) or 0
    column = _MEMBER_SORTS[sort]
    stmt = stmt.order_by(column.desc() if descending else column.asc(), Membership.id)
    members = list(
        (await session.execute(stmt.offset((page - 1) * page_size).limit(page_size))).scalars()
    )
    return await _members_out(session, actor.org_id, members), int(total)


async def get_member(
    session: AsyncSession, actor: Actor, member_id: uuid.UUID
) -> schemas.MemberOut:
    """One member (within the actor's data scope)."""
    return await _member_out(session, await MemberRepository(session, actor).get(member_id))


async def _roles_by_ids(
    session: AsyncSession, actor: Actor, role_ids: Sequence[uuid.UUID]
) -> list[Role]:
    wanted = list(dict.fromkeys(role_ids))
    if not wanted:
        return []
    found = {
        r.id: r
        for r in (
            await session.execute(
                RoleRepository(session, actor).tenant().where(Role.id.in_(wanted))
            )
        ).scalars()
    }
    if len(found) != len(wanted):
        raise errors.RoleNotFound()
    return [found[r] for r in wanted]


async def _units_by_ids(
    session: AsyncSession, actor: Actor, unit_ids: Sequence[uuid.UUID]
) -> list[OrgUnit]:
    wanted = list(dict.fromkeys(unit_ids))
    if not wanted:
        return []
    found = {
        u.id: u
        for u in (
            await session.execute(
                UnitRepository(session, actor).tenant().where(OrgUnit.id.in_(wanted))
            )
        ).scalars()
    }
    if len(found) != len(wanted):
        raise errors.UnitNotFound()
    return [found[u] for u in wanted]


async def _replace_links(
    session: AsyncSession,
    membership_id: uuid.UUID,
    *,
    role_ids: Sequence[uuid.UUID] | None = None,
    unit_ids: Sequence[uuid.UUID] | None = None,
) -> None:
    # Core statements: link rows never enter the identity map, so replacing is conflict-free
    if role_ids is not None:
        await session.execute(delete(MemberRole).where(MemberRole.membership_id == membership_id))
        if role_ids:
            await session.execute(
                insert(MemberRole),
                [{"membership_id": membership_id, "role_id": r} for r in role_ids],
            )
    if unit_ids is not None:
        await session.execute(delete(MemberUnit).where(MemberUnit.membership_id == membership_id))
        if unit_ids:
            await session.execute(
                insert(MemberUnit),
                [{"membership_id": membership_id, "unit_id": u} for u in unit_ids],
            )


async def _ensure_admin_remains(session: AsyncSession, org_id: uuid.UUID) -> None:
    """member.last_admin unless some active member still holds every ADMIN_PERMISSIONS."""
    await session.flush()
    granting = {
        role_id: set(perms or []) & ADMIN_PERMISSIONS
        for role_id, perms in (
            await session.execute(select(Role.id, Role.permissions).where(Role.org_id == org_id))
        ).all()
    }
    granting = {k: v for k, v in granting.items() if v}
    if granting:
        rows = await session.execute(
            select(MemberRole.membership_id, MemberRole.role_id)
            .join(Membership, Membership.id == MemberRole.membership_id)
            .where(
                Membership.org_id == org_id,
                Membership.status == MemberStatus.ACTIVE,
                Membership.deleted_at.is_(None),
                MemberRole.role_id.in_(list(granting)),
            )
        )
        held: dict[uuid.UUID, set[str]] = {}
        for membership_id, role_id in rows.all():
            held.setdefault(membership_id, set()).update(granting[role_id])
        if any(perms >= ADMIN_PERMISSIONS for perms in held.values()):
            return
    raise errors.LastAdmin()


def temporary_password() -> str:
    """A one-time password that passes the password rules (letters and digits, 14 chars)."""
    return "Sh" + ids.token(8)[:10] + ids.digits(2)


@dataclass(frozen=True)
class _NewMember:
    real_name: str
    phone: str
    user: User | None
    revived: Membership | None  # a deleted membership of the same person, reused
    roles: list[Role]
    units: list[OrgUnit]


async def _plan_member(
    session: AsyncSession,
    actor: Actor,
    *,
    real_name: str,
    phone: str,
    password: str | None,
    role_ids: Sequence[uuid.UUID],
    unit_ids: Sequence[uuid.UUID],
) -> _NewMember:
    """Validate a new member without writing anything."""
    phone = auth.normalize_phone(phone)
    user = await session.scalar(select(User).where(User.phone == phone))
    revived = None
    if user is not None:
        existing = await repo.membership_of(session, actor.org_id, user.id)
        if existing is not None and existing.deleted_at is None:
            raise errors.MemberExists()
        revived = existing
    elif password:
        auth.check_password(password)
    roles = await _roles_by_ids(session, actor, role_ids)
    if not roles:
        employee = await session.scalar(
            RoleRepository(session, actor).tenant().where(Role.builtin_key == "employee")
        )
        roles = [employee] if employee is not None else []
    units = await _units_by_ids(session, actor, unit_ids)
    if not units:
        units = [await UnitRepository(session, actor).root()]
    _check_roles_grantable(actor, roles)
    return _NewMember(real_name.strip(), phone, user, revived, roles, units)


async def _hash_many(passwords: list[str]) -> list[str]:
    """Argon2 hashes computed in worker threads, a few at a time (each takes ~64 MiB)."""
    gate = asyncio.Semaphore(HASH_CONCURRENCY)

    async def one(password: str) -> str:
        async with gate:
            return await asyncio.to_thread(auth.hash_password, password)

    return list(await asyncio.gather(*(one(p) for p in passwords)))


async def _add_member(
    session: AsyncSession, actor: Actor, plan: _NewMember, *, password_hash: str | None
) -> Membership:
    """Write a planned member; a new account needs `password_hash`."""
    user = plan.user
    if user is None:
        assert password_hash is not None
        user = User(phone=plan.phone, password_hash=password_hash)
        session.add(user)
        await session.flush()
    now = clock.now()
    if plan.revived is not None:
        member = plan.revived
        member.real_name = plan.real_name
        member.status = MemberStatus.ACTIVE
        member.deleted_at = None
        member.registered_at = now
        member.primary_unit_id = plan.units[0].id
        member.updated_at = now
    else:
        member = Membership(
            org_id=actor.org_id,
            user_id=user.id,
            real_name=plan.real_name,
            status=MemberStatus.ACTIVE,
            registered_at=now,
            primary_unit_id=plan.units[0].id,
        )
        session.add(member)
    await session.flush()
    await _replace_links(
        session,
        member.id,
        role_ids=[r.id for r in plan.roles],
        unit_ids=[u.id for u in plan.units],
    )
    await audit.record(
        session,
        actor,
        "member.create",
        "membership",
        member.id,
        summary=audit.Summary(
            f"添加人员 {plan.real_name}（{plan.phone}）",
            f"Added member {plan.real_name} ({plan.phone})",
        ),
        after={
            "real_name": plan.real_name,
            "phone": plan.phone,
            "roles": [r.name for r in plan.roles],
            "units": [u.code for u in plan.units],
            "new_account": plan.user is None,
        },
    )
    return member


async def create_member(
    session: AsyncSession,
    runtime: Runtime,
    actor: Actor,
    *,
    real_name: str,
    phone: str,
    password: str | None = None,
    role_ids: Sequence[uuid.UUID] = (),
    unit_ids: Sequence[uuid.UUID] = (),
) -> schemas.MemberCreatedOut:
    """Add a person by phone: a membership for an existing account, else a new account.

    A new account without a password gets a temporary one, returned this once.
    Default role: employee; default unit: the root. The first unit is the primary one.
    """
    plan = await _plan_member(
        session,
        actor,
        real_name=real_name,
        phone=phone,
        password=password,
        role_ids=role_ids,
        unit_ids=unit_ids,
    )
    temp = None
    password_hash = None
    if plan.user is None:
        if not password:
            password = temp = temporary_password()
        password_hash = (await _hash_many([password]))[0]
    member = await _add_member(session, actor, plan, password_hash=password_hash)
    await auth.invalidate_org(runtime, actor.org_id)
    out = await _member_out(session, member)
    return schemas.MemberCreatedOut(**out.model_dump(), temporary_password=temp)


async def update_member(
    session: AsyncSession,
    runtime: Runtime,
    actor: Actor,
    member_id: uuid.UUID,
    *,
    real_name: str | None = None,
    role_ids: Sequence[uuid.UUID] | None = None,
    unit_ids: Sequence[uuid.UUID] | None = None,
) -> schemas.MemberOut:
    """Edit a member's name, roles or units (the first unit becomes the primary one)."""
    member = await MemberRepository(session, actor).get_for_update(member_id)
    before = await _member_fields(session, member)
    roles = await _roles_by_ids(session, actor, role_ids) if role_ids is not None else None
    if roles is not None:
        _check_roles_grantable(actor, roles)
    units = await _units_by_ids(session, actor, unit_ids) if unit_ids is not None else None
    if real_name is not None:
        member.real_name = real_name
    if units:
        member.primary_unit_id = units[0].id
    member.updated_at = clock.now()
    await session.flush()
    await _replace_links(
        session,
        member.id,
        role_ids=[r.id for r in roles] if roles is not None else None,
        unit_ids=[u.id for u in units] if units else None,
    )
    if roles is not None:
        await _ensure_admin_remains(session, actor.org_id)
    after = await _member_fields(session, member)
    await audit.record(
        session,
        actor,
        "member.update",
        "membership",
        member.id,
        summary=audit.Summary(f"修改人员 {member.real_name}", f"Updated member {member.real_name}"),
        before=before,
        after=after,
    )
    await auth.invalidate_org(runtime, actor.org_id)
    return await _member_out(session, member)


async def change_member_status(
    session: AsyncSession,
    runtime: Runtime,
    actor: Actor,
    member_id: uuid.UUID,
    action: MemberAction,
) -> schemas.MemberOut:
    """Approve a join request, disable or enable a member."""
    member = await MemberRepository(session, actor).get_for_update(member_id)
    before = member.status
    member.status = member_transition(member.status, action)
    member.updated_at = clock.now()
    await session.flush()
    if action == MemberAction.DISABLE:
        await _ensure_admin_remains(session, actor.org_id)
    await audit.record(
        session,
        actor,
        f"member.{action.value}",
        "membership",
        member.id,
        summary=audit.Summary(
            f"{_ACTION_ZH[action]}人员 {member.real_name}",
            f"{_ACTION_EN[action]} member {member.real_name}",
        ),
        before={"status": before},
        after={"status": member.status},
    )
    await auth.invalidate_org(runtime, actor.org_id)
    return await _member_out(session, member)


async def approve_member(
    session: AsyncSession, runtime: Runtime, actor: Actor, member_id: uuid.UUID
) -> schemas.MemberOut:
    """Accept a pending request to join."""
    return await change_member_status(session, runtime, actor, member_id, MemberAction.APPROVE)


async def disable_member(
    session: AsyncSession, runtime: Runtime, actor: Actor, member_id: uuid.UUID
) -> schemas.MemberOut:
    """Stop a member from acting in the organisation (keeps their records)."""
    return await change_member_status(session, runtime, actor, member_id, MemberAction.DISABLE)


async def enable_member(
    session: AsyncSession, runtime: Runtime, actor: Actor, member_id: uuid.UUID
) -> schemas.MemberOut:
    """Let a disabled member act again."""
    return await change_member_status(session, runtime, actor, member_id, MemberAction.ENABLE)


async def _revoke_org_sessions(
    session: AsyncSession, runtime: Runtime, user_id: uuid.UUID, org_id: uuid.UUID
) -> None:
    where = (Session.user_id == user_id, Session.org_id == org_id, Session.revoked_at.is_(None))
    for token_hash in (await session.execute(select(Session.token_hash).where(*where))).scalars():
        await runtime.cache.delete(f"actor:{token_hash}")
    await session.execute(update(Session).where(*where).values(revoked_at=clock.now()))


async def delete_member(
    session: AsyncSession, runtime: Runtime, actor: Actor, member_id: uuid.UUID
) -> None:
    """Remove a member (soft) and end their sessions in this organisation."""
    member = await MemberRepository(session, actor).get_for_update(member_id)
    before = await _member_fields(session, member)
    now = clock.now()
    member.deleted_at = now
    member.updated_at = now
    await session.execute(
        delete(UnitSupervisor).where(
            UnitSupervisor.org_id == actor.org_id, UnitSupervisor.user_id == member.user_id
        )
    )
    await session.flush()
    await _ensure_admin_remains(session, actor.org_id)
    await _revoke_org_sessions(session, runtime, member.user_id, actor.org_id)
    await audit.record(
        session,
        actor,
        "member.delete",
        "membership",
        member.id,
        summary=audit.Summary(f"删除人员 {member.real_name}", f"Deleted member {member.real_name}"),
        before=before,
    )
    await auth.invalidate_org(runtime, actor.org_id)


async def reset_member_password(
    session: AsyncSession, runtime: Runtime, actor: Actor, member_id: uuid.UUID
) -> str:
    """Give a member a temporary password (returned once); ends all their sessions."""
    member = await MemberRepository(session, actor).get_for_update(member_id)
    user = await auth.get_user(session, member.user_id)
    temp = temporary_password()
    await auth.set_password(session, runtime, user, temp)
    await audit.record(
        session,
        actor,
        "member.reset_password",
        "membership",
        member.id,
        summary=audit.Summary(
            f"重置 {member.real_name} 的密码", f"Reset the password of {member.real_name}"
        ),
    )
    return temp


# ---------------------------------------------------------------- import


def member_import_template() -> bytes:
    """An .xlsx with the import columns (姓名/手机号/角色/部门代码) and a sheet of notes."""
    wb = Workbook()
    ws = wb.active
    assert ws is not None
    ws.title = "人员"
    ws.append(list(IMPORT_HEADERS))
    for column, width in zip("ABCD", (14, 18, 24, 24), strict=True):
        ws.column_dimensions[column].width = width
    notes = wb.create_sheet("说明")
    for line in (
        ("列", "说明"),
        ("姓名", "必填"),
        ("手机号", "必填，11 位手机号；已注册的手机号将直接加入本组织"),
        ("角色", "可多个，用逗号或顿号分隔，填写角色名称；留空为普通用户"),
        ("部门代码", "可多个，用逗号分隔，第一个为主部门；留空为根组织"),
        ("密码", "新账号将生成临时密码，仅在导入结果中显示一次"),
    ):
        notes.append(list(line))
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def _cell(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def _read_table(data: bytes) -> list[list[str]]:
    """Rows of cells from an .xlsx or a CSV (UTF-8 or GB18030) file."""
    if data.startswith(b"PK\x03\x04"):
        try:
            wb = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
            ws = wb.worksheets[0]
            rows = []
            for row in ws.iter_rows(values_only=True):
                rows.append([_cell(v) for v in row])
                if len(rows) > IMPORT_MAX_ROWS + 1:
                    break
            wb.close()
            return rows
        except Exception as exc:
            raise errors.ImportUnreadable(reason="xlsx") from exc
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            text = data.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    else:
        raise errors.ImportUnreadable(reason="encoding")
    if "\x00" in text:
        raise errors.ImportUnreadable(reason="binary")
    try:
        return [[c.strip() for c in row] for row in csv.reader(io.StringIO(text))]
    except csv.Error as exc:
        raise errors.ImportUnreadable(reason="csv") from exc


def _split(text: str) -> list[str]:
    return [part for part in _LIST_SPLIT.split(text) if part]


async def import_members(
    session: AsyncSession, runtime: Runtime, actor: Actor, data: bytes
) -> schemas.ImportOut:
    """Create members from an .xlsx/.csv sheet; valid rows are added, others reported."""
    if not data:
        raise errors.ImportUnreadable(reason="empty")
    rows = await spreadsheet.read_table(data, max_rows=IMPORT_MAX_ROWS)
    numbered = [(n, r) for n, r in enumerate(rows, start=1) if any(r)]
    if not numbered:
        raise errors.ImportUnreadable(reason="no rows")
    _, header = numbered[0]
    columns = {_HEADER_ALIASES.get(h.strip().lower(), ""): i for i, h in enumerate(header)}
    if "name" not in columns or "phone" not in columns:
        raise errors.ImportUnreadable(reason="姓名/手机号")
    body = numbered[1:]
    if len(body) > IMPORT_MAX_ROWS:
        raise errors.ImportTooManyRows(limit=IMPORT_MAX_ROWS)
    roles = list((await session.execute(RoleRepository(session, actor).tenant())).scalars())
    role_by_name = {r.name: r.id for r in roles} | {
        r.builtin_key: r.id for r in roles if r.builtin_key
    }
    unit_by_code = dict(
        (
            await session.execute(
                select(OrgUnit.code, OrgUnit.id).where(OrgUnit.org_id == actor.org_id)
            )
        ).all()
    )

    def col(row: list[str], key: str) -> str:
        i = columns.get(key)
        return row[i] if i is not None and i < len(row) else ""

    created: list[schemas.ImportedRow] = []
    problems: list[schemas.ImportRowError] = []
    seen: set[str] = set()
    plans: list[tuple[int, _NewMember]] = []
    for number, row in body:
        try:
            name = col(row, "name")
            if not name or len(name) > 50:
                raise ValidationFailed(reason="姓名为空或过长")
            phone = auth.normalize_phone(col(row, "phone"))
            if phone in seen:
                raise ValidationFailed(reason="手机号在文件中重复")
            role_ids = []
            for role_name in _split(col(row, "roles")):
                if role_name not in role_by_name:
                    raise ValidationFailed(reason=f"未知角色 {role_name}")
                role_ids.append(role_by_name[role_name])
            unit_ids = []
            for code in _split(col(row, "units")):
                if code not in unit_by_code:
                    raise ValidationFailed(reason=f"未知部门代码 {code}")
                unit_ids.append(unit_by_code[code])
            plan = await _plan_member(
                session,
                actor,
                real_name=name,
                phone=phone,
                password=None,
                role_ids=role_ids,
                unit_ids=unit_ids,
            )
        except AppError as exc:
            problems.append(schemas.ImportRowError(row=number, message=exc.title(actor.locale)))
            continue
        seen.add(phone)
        plans.append((number, plan))
    # new accounts get temporary passwords; hashing them is the slow part of an import
    temps = {i: temporary_password() for i, (_, plan) in enumerate(plans) if plan.user is None}
    hashes = dict(zip(temps, await _hash_many(list(temps.values())), strict=True))
    for i, (number, plan) in enumerate(plans):
        member = await _add_member(session, actor, plan, password_hash=hashes.get(i))
        created.append(
            schemas.ImportedRow(
                row=number,
                member_id=member.id,
                real_name=plan.real_name,
                phone=plan.phone,
                temporary_password=temps.get(i),
            )
        )
    problems.sort(key=lambda p: p.row)
    await audit.record(
        session,
        actor,
        "member.import",
        "membership",
        None,
        summary=audit.Summary(
            f"批量导入人员：成功 {len(created)} 行，失败 {len(problems)} 行",
            f"Imported members: {len(created)} rows added, {len(problems)} rows failed",
        ),
        after={"created": len(created), "failed": [p.model_dump() for p in problems]},
    )
    await auth.invalidate_org(runtime, actor.org_id)
    return schemas.ImportOut(created=created, errors=problems)


# ================================================================ API keys


async def _api_keys_out(
    session: AsyncSession, org_id: uuid.UUID, keys: list[ApiKey]
) -> list[schemas.ApiKeyOut]:
    people = await _people(session, org_id, [k.created_by for k in keys])
    return [
        schemas.ApiKeyOut(
            id=k.id,
            name=k.name,
            prefix=k.prefix,
            permissions=sorted(k.permissions or []),
            created_by=people[k.created_by],
            created_at=k.created_at,
            expires_at=k.expires_at,
            last_used_at=k.last_used_at,
            revoked_at=k.revoked_at,
        )
        for k in keys
    ]


async def create_api_key(
    session: AsyncSession,
    runtime: Runtime,
    actor: Actor,
    *,
    name: str,
    permissions: Sequence[str],
    expires_at: datetime | None = None,
) -> schemas.ApiKeyCreatedOut:
    """A new integration key holding some of the creator's permissions; the secret shows once."""
    perms = _check_permissions(permissions)
    for permission in perms:
        if not actor.can(permission):
            raise errors.PermissionNotHeld(permission=permission)
    if expires_at is not None:
        expires_at = clock.aware(expires_at)
        if expires_at <= clock.now():
            raise errors.ExpiryInPast()
    secret = auth.API_KEY_PREFIX + ids.token(32)
    key = ApiKey(
        org_id=actor.org_id,
        name=name,
        prefix=secret[:12],
        key_hash=runtime.envelope.mac(secret.encode()),
        permissions=perms,
        created_by=actor.user_id,
        created_at=clock.now(),
        expires_at=expires_at,
    )
    session.add(key)
    await session.flush()
    await audit.record(
        session,
        actor,
        "integration.apikey_create",
        "api_key",
        key.id,
        summary=audit.Summary(
            f"创建 API 密钥 {name}（{key.prefix}…）", f"Created API key {name} ({key.prefix}…)"
        ),
        after={"name": name, "prefix": key.prefix, "permissions": perms, "expires_at": expires_at},
    )
    out = (await _api_keys_out(session, actor.org_id, [key]))[0]
    return schemas.ApiKeyCreatedOut(**out.model_dump(), secret=secret)


async def list_api_keys(
    session: AsyncSession, actor: Actor, *, page: int = 1, page_size: int = 20
) -> tuple[list[schemas.ApiKeyOut], int]:
    """The organisation's API keys, newest first (never their secrets)."""
    stmt = ApiKeyRepository(session, actor).readable()
    total = await session.scalar(select(func.count()).select_from(stmt.subquery())) or 0
    keys = list(
        (
            await session.execute(
                stmt.order_by(ApiKey.created_at.desc(), ApiKey.id.desc())
                .offset((page - 1) * page_size)
                .limit(page_size)
            )
        ).scalars()
    )
    return await _api_keys_out(session, actor.org_id, keys), int(total)


async def revoke_api_key(session: AsyncSession, actor: Actor, key_id: uuid.UUID) -> None:
    """Revoke a key at once (revoking twice is harmless)."""
    key = await ApiKeyRepository(session, actor).get_for_update(key_id)
    if key.revoked_at is not None:
        return
    key.revoked_at = clock.now()
    await session.flush()
    await audit.record(
        session,
        actor,
        "integration.apikey_revoke",
        "api_key",
        key.id,
        summary=audit.Summary(
            f"吊销 API 密钥 {key.name}（{key.prefix}…）",
            f"Revoked API key {key.name} ({key.prefix}…)",
        ),
        before={"revoked_at": None},
        after={"revoked_at": key.revoked_at},
    )
