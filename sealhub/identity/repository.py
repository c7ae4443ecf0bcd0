"""Tenant-bound queries on identity rows (org units, roles, memberships, API keys)."""

from __future__ import annotations

import uuid

from sqlalchemy import ColumnElement, Select, select, true
from sqlalchemy.ext.asyncio import AsyncSession

from sealhub.identity.errors import ApiKeyNotFound, MemberNotFound, RoleNotFound, UnitNotFound
from sealhub.identity.models import (
    ApiKey,
    MemberRole,
    Membership,
    MemberUnit,
    OrgUnit,
    Role,
    UnitSupervisor,
)
from sealhub.platform.actor import DataScope
from sealhub.platform.db.repository import TenantRepository


class UnitRepository(TenantRepository[OrgUnit]):
    """The org tree is visible org-wide to anyone holding org.read."""

    model = OrgUnit
    not_found = UnitNotFound

    async def root(self) -> OrgUnit:
        stmt = self.tenant().where(OrgUnit.parent_id.is_(None))
        row = (await self.session.execute(stmt)).scalar_one_or_none()
        if row is None:
            raise UnitNotFound()
        return row


class RoleRepository(TenantRepository[Role]):
    model = Role
    not_found = RoleNotFound


class MemberRepository(TenantRepository[Membership]):
    """Members not deleted; data scope by the units a member belongs to (any of them)."""

    model = Membership
    not_found = MemberNotFound

    def scope_clause(self) -> ColumnElement[bool]:
        actor = self.actor
        scope = actor.data_scope
        if scope == DataScope.ORG:
            return true()
        mine = Membership.user_id == actor.user_id
        if scope == DataScope.SELF:
            return mine
        units = actor.unit_ids if scope == DataScope.UNIT else actor.subtree_unit_ids
        if not units:
            return mine
        in_units = Membership.id.in_(
            select(MemberUnit.membership_id).where(MemberUnit.unit_id.in_(list(units)))
        )
        return mine | in_units

    def tenant(self) -> Select[Membership]:
        return super().tenant().where(Membership.deleted_at.is_(None))


class ApiKeyRepository(TenantRepository[ApiKey]):
    model = ApiKey
    not_found = ApiKeyNotFound


__all__ = ["ApiKeyRepository", "MemberRepository", "RoleRepository", "UnitRepository"]


async def membership_of(
    session: AsyncSession, org_id: uuid.UUID, user_id: uuid.UUID
) -> Membership | None:
    """A person's membership in one organisation, soft-deleted ones included."""
    stmt = select(Membership).where(Membership.org_id == org_id, Membership.user_id == user_id)
    return (await session.execute(stmt)).scalar_one_or_none()


async def supervisors_in(
    session: AsyncSession, org_id: uuid.UUID, unit_ids: list[uuid.UUID]
) -> list[UnitSupervisor]:
    stmt = (
        select(UnitSupervisor)
        .where(UnitSupervisor.org_id == org_id, UnitSupervisor.unit_id.in_(unit_ids))
        .order_by(UnitSupervisor.unit_id, UnitSupervisor.sort)
    )
    return list((await session.execute(stmt)).scalars())


async def roles_of_memberships(
    session: AsyncSession, member_ids: list[uuid.UUID]
) -> list[tuple[uuid.UUID, Role]]:
    """(membership id, role) pairs; membership ids come from a tenant-scoped query."""
    stmt = (
        select(MemberRole.membership_id, Role)
        .join(Role, Role.id == MemberRole.role_id)
        .where(MemberRole.membership_id.in_(member_ids))
        .order_by(Role.created_at, Role.name)
    )
    return [(m, r) for m, r in (await session.execute(stmt)).all()]


async def units_of_memberships(
    session: AsyncSession, member_ids: list[uuid.UUID]
) -> list[tuple[uuid.UUID, OrgUnit]]:
    stmt = (
        select(MemberUnit.membership_id, OrgUnit)
        .join(OrgUnit, OrgUnit.id == MemberUnit.unit_id)
        .where(MemberUnit.membership_id.in_(member_ids))
        .order_by(OrgUnit.sort, OrgUnit.name)
    )
    return [(m, u) for m, u in (await session.execute(stmt)).all()]
