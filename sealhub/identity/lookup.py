"""Read-only look-ups other contexts use (approval routing, names, units)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field

from sqlalchemy import ColumnElement, bindparam, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from sealhub.identity.models import (
    MemberRole,
    Membership,
    MemberStatus,
    MemberUnit,
    Organization,
    OrgUnit,
    Role,
    UnitSupervisor,
)


@dataclass(frozen=True)
class UnitInfo:
    id: uuid.UUID
    parent_id: uuid.UUID | None
    name: str
    # supervisor title -> user ids holding it
    supervisors: dict[str, list[uuid.UUID]] = field(default_factory=dict)


@dataclass(frozen=True)
class MemberInfo:
    user_id: uuid.UUID
    membership_id: uuid.UUID
    real_name: str
    status: str
    primary_unit_id: uuid.UUID | None
    unit_ids: tuple[uuid.UUID, ...]


# built once: an alias sets up a proxy for every column, too slow to repeat per request
_TARGET_UNIT = aliased(OrgUnit, name="target_unit")


def _active() -> tuple[ColumnElement[bool], ...]:
    return (Membership.status == MemberStatus.ACTIVE, Membership.deleted_at.is_(None))


# hot lookups of the create path are built once: building a statement and its cache key
# costs more CPU than running it
_UNIT_CHAIN = (
    select(OrgUnit.id, OrgUnit.parent_id, OrgUnit.name, OrgUnit.path)
    .add_columns(UnitSupervisor.title, UnitSupervisor.user_id)
    .select_from(OrgUnit)
    .join(
        _TARGET_UNIT,
        (_TARGET_UNIT.org_id == bindparam("org_id")) & (_TARGET_UNIT.id == bindparam("unit_id")),
    )
    .outerjoin(
        UnitSupervisor,
        (UnitSupervisor.unit_id == OrgUnit.id) & (UnitSupervisor.org_id == bindparam("org_id")),
    )
    .where(OrgUnit.org_id == bindparam("org_id"), _TARGET_UNIT.path.startswith(OrgUnit.path))
    .order_by(OrgUnit.id, UnitSupervisor.sort, UnitSupervisor.id)
)


async def unit_chain(
    session: AsyncSession, org_id: uuid.UUID, unit_id: uuid.UUID
) -> list[UnitInfo]:
    """The unit and its ancestors up to the root, nearest first, with supervisors.

    One round trip: a unit's materialised path starts with each ancestor's path."""
    params = {"org_id": org_id, "unit_id": unit_id}
    units: dict[uuid.UUID, tuple[uuid.UUID | None, str, str]] = {}
    supervisors: dict[uuid.UUID, dict[str, list[uuid.UUID]]] = {}
    for uid, parent_id, name, path, title, holder in (
        await session.execute(_UNIT_CHAIN, params)
    ).all():
        units[uid] = (parent_id, name, path)
        sups = supervisors.setdefault(uid, {})
        if title is not None:
            holders = sups.setdefault(title, [])
            if holder is not None:
                holders.append(holder)
    nearest_first = sorted(units, key=lambda u: len(units[u][2]), reverse=True)
    return [UnitInfo(u, units[u][0], units[u][1], supervisors[u]) for u in nearest_first]


async def users_with_role(
    session: AsyncSession,
    org_id: uuid.UUID,
    role_id: uuid.UUID,
    *,
    within_units: set[uuid.UUID] | None = None,
) -> list[uuid.UUID]:
    """Active members holding a role, optionally only those in the given units."""
    stmt = (
        select(Membership.user_id)
        .join(MemberRole, MemberRole.membership_id == Membership.id)
        .where(Membership.org_id == org_id, MemberRole.role_id == role_id, *_active())
    )
    if within_units is not None:
        stmt = stmt.join(MemberUnit, MemberUnit.membership_id == Membership.id).where(
            MemberUnit.unit_id.in_(list(within_units))
        )
    return list(
        dict.fromkeys((await session.execute(stmt.order_by(Membership.created_at))).scalars())
    )


async def role_exists(session: AsyncSession, org_id: uuid.UUID, role_id: uuid.UUID) -> bool:
    found = await session.scalar(select(Role.id).where(Role.org_id == org_id, Role.id == role_id))
    return found is not None


async def member_info(
    session: AsyncSession, org_id: uuid.UUID, user_id: uuid.UUID
) -> MemberInfo | None:
    """One person's membership in an organisation (any status), or None."""
    infos = await members_info(session, org_id, [user_id])
    return infos.get(user_id)


_MEMBERS_INFO = (
    select(Membership, MemberUnit.unit_id)
    .outerjoin(MemberUnit, MemberUnit.membership_id == Membership.id)
    .where(
        Membership.org_id == bindparam("org_id"),
        Membership.user_id.in_(bindparam("ids", expanding=True)),
        Membership.deleted_at.is_(None),
    )
    .order_by(Membership.id, MemberUnit.unit_id)
)


async def members_info(
    session: AsyncSession, org_id: uuid.UUID, user_ids: list[uuid.UUID]
) -> dict[uuid.UUID, MemberInfo]:
    if not user_ids:
        return {}
    rows = await session.execute(_MEMBERS_INFO, {"org_id": org_id, "ids": list(set(user_ids))})
    by_id: dict[uuid.UUID, Membership] = {}
    units: dict[uuid.UUID, list[uuid.UUID]] = {}
    for member, unit_id in rows.all():
        by_id[member.id] = member
        if unit_id is not None:
            units.setdefault(member.id, []).append(unit_id)
    members = list(by_id.values())
    return {
        m.user_id: MemberInfo(
            user_id=m.user_id,
            membership_id=m.id,
            real_name=m.real_name,
            status=m.status,
            primary_unit_id=m.primary_unit_id,
            unit_ids=tuple(units.get(m.id, ())),
        )
        for m in members
    }


async def names(
    session: AsyncSession, org_id: uuid.UUID, user_ids: list[uuid.UUID]
) -> dict[uuid.UUID, str]:
    """Display names (real name in this organisation) for user ids."""
    if not user_ids:
        return {}
    rows = await session.execute(
        select(Membership.user_id, Membership.real_name).where(
            Membership.org_id == org_id, Membership.user_id.in_(list(set(user_ids)))
        )
    )
    return {uid: name for uid, name in rows.all()}


async def unit_names(
    session: AsyncSession, org_id: uuid.UUID, unit_ids: list[uuid.UUID]
) -> dict[uuid.UUID, str]:
    if not unit_ids:
        return {}
    rows = await session.execute(
        select(OrgUnit.id, OrgUnit.name).where(
            OrgUnit.org_id == org_id, OrgUnit.id.in_(list(set(unit_ids)))
        )
    )
    return {uid: name for uid, name in rows.all()}


async def unit_exists(session: AsyncSession, org_id: uuid.UUID, unit_id: uuid.UUID) -> bool:
    found = await session.scalar(
        select(OrgUnit.id).where(OrgUnit.org_id == org_id, OrgUnit.id == unit_id)
    )
    return found is not None


_ORG_SETTINGS = select(Organization.settings).where(Organization.id == bindparam("org_id"))


async def org_settings(session: AsyncSession, org_id: uuid.UUID) -> dict[str, object]:
    found = await session.scalar(_ORG_SETTINGS, {"org_id": org_id})
    return dict(found or {})


async def org_exists_named(session: AsyncSession, name: str) -> bool:
    found = await session.scalar(select(Organization.id).where(Organization.name == name))
    return found is not None
