"""The organisation's unit tree: units, supervisors, logos."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from sealhub.identity import auth, errors, lookup, schemas
from sealhub.identity import repository as repo
from sealhub.identity.models import (
    OrgUnit,
    UnitSupervisor,
)
from sealhub.identity.repository import (
    MemberRepository,
    UnitRepository,
)
from sealhub.platform import audit, clock, ids
from sealhub.platform.actor import Actor
from sealhub.platform.db import appends
from sealhub.platform.runtime import Runtime
from sealhub.storage import service as storage

LOGO_MAX_BYTES = 1024 * 1024
LOGO_MAX_SIDE = 1024


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


# a generated code is retried when a concurrent create took it first (the unique
# constraint decides); later attempts spread out over the free numbers
CODE_ATTEMPTS = 25


async def _generated_code(
    repo: UnitRepository, parent: OrgUnit, attempt: int, tried: set[str]
) -> str:
    """`<parent code>-<n>` for a free n (the next one at first), or a random code when
    that grows too long or many attempts collided."""
    taken = await repo.codes() | tried
    if attempt < CODE_ATTEMPTS - 5:
        start = await repo.child_count(parent.id) + 1
        free: list[str] = []
        for n in range(start, start + 1000):
            candidate = f"{parent.code}-{n}"
            if len(candidate) > 60 or len(free) > attempt * 3:
                break
            if candidate not in taken:
                free.append(candidate)
        if free:
            return free[int(ids.digits(6)) % len(free)] if attempt else free[0]
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
    if code and await repo.code_taken(code):
        raise errors.UnitCodeTaken()
    bind = session.bind
    if not code and bind is not None and bind.dialect.name == "mysql":
        # InnoDB answers concurrent inserts under one parent with deadlocks, and a deadlock
        # victim loses its whole transaction, savepoints included: queue on the parent
        await repo.lock(parent.id)
    tried: set[str] = set()
    for attempt in range(CODE_ATTEMPTS):
        unit_code = code or await _generated_code(repo, parent, attempt, tried)
        tried.add(unit_code)
        unit_id = ids.new_id()
        unit = OrgUnit(
            id=unit_id,
            org_id=actor.org_id,
            parent_id=parent.id,
            name=name,
            code=unit_code,
            kind=kind,
            sort=sort,
            description=description,
            path=f"{parent.path}{unit_id}/",
        )
        try:
            async with appends.savepoint(session):
                session.add(unit)
                await session.flush()
        except IntegrityError:
            if code:  # a code the caller chose, taken meanwhile
                raise errors.UnitCodeTaken() from None
            continue
        break
    else:
        raise errors.UnitCodeTaken()
    await audit.record(
        session,
        actor,
        "unit.create",
        "org_unit",
        unit.id,
        summary=audit.Summary(
            f"新建组织单元 {name}（{unit_code}），上级 {parent.name}",
            f"Created unit {name} ({unit_code}) under {parent.name}",
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
        if await UnitRepository(session, actor).code_taken(code, exclude=unit.id):
            raise errors.UnitCodeTaken()
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
        "unit.update",
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
        "unit.move",
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
    auth.invalidate_org(session, runtime, actor.org_id)
    return await _one_unit_out(session, unit)


async def delete_unit(session: AsyncSession, actor: Actor, unit_id: uuid.UUID) -> None:
    """Delete an empty unit (no sub-units, no members); the root stays."""
    units = UnitRepository(session, actor)
    unit = await units.get_for_update(unit_id)
    if unit.parent_id is None:
        raise errors.RootUnitImmutable()
    if await units.has_children(unit.id) or await MemberRepository(session, actor).any_in_unit(
        unit.id
    ):
        raise errors.UnitNotEmpty()
    # deleted members may still point at the unit: let go of it
    await units.release(unit.id)
    before = _unit_fields(unit)
    # seals (or other contexts' rows) still registered to the unit hold a foreign key to
    # it: the database refuses, whichever context they belong to
    try:
        async with appends.savepoint(session):
            await session.delete(unit)
            await session.flush()
    except IntegrityError:
        raise errors.UnitNotEmpty() from None
    await audit.record(
        session,
        actor,
        "unit.delete",
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
    await UnitRepository(session, actor).clear_supervisors(unit.id)
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
        "unit.set_supervisors",
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
    obj = await storage.put_image(
        session,
        runtime,
        actor,
        data,
        filename=filename,
        purpose="org.logo",
        max_bytes=LOGO_MAX_BYTES,
        max_side=LOGO_MAX_SIDE,
        too_large=errors.LogoTooLarge,
    )
    before = unit.logo_object_id
    unit.logo_object_id = obj.id
    unit.updated_at = clock.now()
    await session.flush()
    await audit.record(
        session,
        actor,
        "unit.set_logo",
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
    return await storage.get_attached(
        session, runtime, actor, unit.logo_object_id, missing=errors.LogoMissing
    )
